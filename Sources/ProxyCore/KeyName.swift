import NIOConcurrencyHelpers

/// A cache key's short name (`Reprise-Cache-Key`: `CredentialHasher.keyID`), computed once, when first asked for.
/// Only a request that goes upstream (its coalescing probe, the stored entry, the forwarded answer) needs it; a hit
/// from a lower tier had paid an HMAC for it on every request (issue 18: 3.5% of an L2 hit's CPU).
final class KeyName: Sendable {
    private let key: String
    private let hasher: CredentialHasher
    private let computed = NIOLockedValueBox<String?>(nil)

    init(key: String, hasher: CredentialHasher) {
        self.key = key
        self.hasher = hasher
    }

    var value: String {
        self.computed.withLockedValue { computed in
            if let computed { return computed }
            let name = self.hasher.keyID(self.key)
            computed = name
            return name
        }
    }
}
