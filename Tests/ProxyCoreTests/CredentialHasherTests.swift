import Crypto
import Testing

@testable import ProxyCore

/// Partitions are HMAC-SHA256 of a fixed byte layout under the secret: pinned here against values computed
/// independently (Python's `hmac`), since every instance of a fleet must compute the same partition.
///
/// The layout changed with issue 14: a partition is a function of the credential values only (each distinct value,
/// in ascending byte order, followed by 0x1F), no longer of where they were found, so that one Gemini key sent as
/// `x-goog-api-key` and as `?key=` is one partition. The pins were recomputed with
/// `hmac.new(bytes(range(32)), b"".join(v + b"\x1f" for v in sorted(set(values))), sha256).hexdigest()[:32]`.
@Suite struct CredentialHasherTests {
    let hasher = CredentialHasher(secret: Array(0..<32))

    struct Pinned: CustomTestStringConvertible, Sendable {
        let name: String
        let parts: [(label: String, values: [String])]
        let partition: String
        var testDescription: String { self.name }
    }

    static let pinned: [Pinned] = [
        Pinned(name: "one header", parts: [("h:xi-api-key", ["sk_abc"])], partition: "35e6738608357d9a183581b215f53b53"),
        Pinned(
            name: "two values and an absent query parameter",
            parts: [("h:xi-api-key", ["sk_abc", "sk_def"]), ("q:key", [])],
            partition: "3af0c9f09732f214611894378ac77956"
        ),
        Pinned(
            name: "the same two values found the other way round",
            parts: [("q:key", ["sk_def"]), ("h:xi-api-key", ["sk_abc"])],
            partition: "3af0c9f09732f214611894378ac77956"
        ),
        Pinned(
            name: "one key as a header and as a query parameter",
            parts: [("h:x-goog-api-key", ["sk_abc"]), ("q:key", ["sk_abc"])],
            partition: "35e6738608357d9a183581b215f53b53"
        ),
        Pinned(name: "one key in the query only", parts: [("h:x-goog-api-key", []), ("q:key", ["sk_abc"])], partition: "35e6738608357d9a183581b215f53b53"),
        Pinned(
            name: "non-ASCII values sort by their UTF-8 bytes",
            parts: [("h:xi-api-key", ["clé-é", "Zebra"])],
            partition: "4899cd8ad41a9e6a220e066a68c8abb7"
        ),
        Pinned(name: "no credential at all", parts: [("h:xi-api-key", [])], partition: CredentialHasher.anonymous),
    ]

    @Test(arguments: pinned)
    func partitionsArePinned(_ c: Pinned) {
        #expect(self.hasher.partition(c.parts) == c.partition)
        // The same again from the same template: it is copied, never consumed.
        #expect(self.hasher.partition(c.parts) == c.partition)
    }

    @Test func theMemoAnswersOnlyForTheSameCredentials() {
        var memo = CredentialHasher.Memo()
        let first = self.hasher.partition([("h:xi-api-key", ["sk_abc"])], memo: &memo)
        #expect(first == "35e6738608357d9a183581b215f53b53")
        #expect(self.hasher.partition([("h:xi-api-key", ["sk_abc"])], memo: &memo) == first)
        let other = self.hasher.partition([("h:xi-api-key", ["sk_abd"])], memo: &memo)
        #expect(other != first)
        #expect(other == self.hasher.partition([("h:xi-api-key", ["sk_abd"])]))
        // Where a value was found does not matter: the same value under another label is the same partition.
        #expect(self.hasher.partition([("q:key", ["sk_abd"])], memo: &memo) == other)
        #expect(self.hasher.partition([("h:xi-api-key", [])], memo: &memo) == CredentialHasher.anonymous)
    }

    struct PinnedKeyID: CustomTestStringConvertible, Sendable {
        let primaryKey: String
        let id: String
        var testDescription: String { self.primaryKey }
    }

    /// `hmac.new(bytes(range(32)), b"reprise-cache-key\x00" + key, sha256).hexdigest()[:16]`.
    static let pinnedKeyIDs: [PinnedKeyID] = [
        PinnedKeyID(primaryKey: "GET /elevenlabs/v1/voices 35e6738608357d9a183581b215f53b53", id: "f1761a99a75ce55a"),
        PinnedKeyID(primaryKey: "POST /gemini/v1beta/models/gemini-2.5-flash:generateContent - 0123abcd", id: "bf3b558fb5bc98fc"),
    ]

    @Test(arguments: pinnedKeyIDs)
    func keyIDsArePinned(_ c: PinnedKeyID) {
        #expect(self.hasher.keyID(c.primaryKey) == c.id)
    }

    /// Key names are HMAC-SHA256 taken apart by hand (the inner and outer hashes kept after the key): the same as
    /// swift-crypto's `HMAC` for secrets shorter than, as long as and longer than SHA-256's block (hashed first),
    /// and for keys of any length.
    @Test(arguments: [0, 1, 32, 63, 64, 65, 200])
    func keyIDsAreHMACForEverySecretLength(_ length: Int) {
        let secret = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let hasher = CredentialHasher(secret: secret)
        for key in ["", "GET / - host", String(repeating: "k", count: 55), String(repeating: "é", count: 300)] {
            var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret))
            hmac.update(data: Array("reprise-cache-key\u{0}".utf8) + Array(key.utf8))
            let expected = hmac.finalize().prefix(8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            #expect(hasher.keyID(key) == expected)
        }
    }
}
