import Crypto
import NIOHTTP1

/// Turns the credential values a route keys on into an opaque partition name: HMAC-SHA256 under a
/// secret that never leaves the process, so a cache dump, a key listing or a log line shows no credential.
/// `@unchecked Sendable`: its HMAC template is an immutable value that swift-crypto does not mark `Sendable`.
public struct CredentialHasher: @unchecked Sendable {
    /// The partition of requests that carry none of the key headers.
    public static let anonymous = "-"

    /// HMAC-SHA256 keyed with the secret, before any message: each partition starts from a copy, so the key
    /// schedule is computed once per process, not once per request.
    private let template: HMAC<SHA256>

    public init(secret: [UInt8]) {
        self.template = HMAC<SHA256>(key: SymmetricKey(data: secret))
    }

    /// A fresh random secret, for a single instance without `key_secret`.
    public static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The partition for labelled credential values (header, query parameter, JWT claim); anonymous when none
    /// of them has a value.
    func partition(_ parts: [(label: String, values: [String])]) -> String {
        guard parts.contains(where: { !$0.values.isEmpty }) else { return Self.anonymous }
        var hmac = self.template
        hmac.update(data: Self.message(parts))
        return Self.hex(hmac.finalize(), count: 16)
    }

    /// What the HMAC reads: each label, 0x00, each value followed by 0x1F, then 0x1E. Every instance of a fleet
    /// must produce these exact bytes (their partitions have to agree).
    static func message(_ parts: [(label: String, values: [String])]) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(parts.reduce(0) { $0 + $1.label.utf8.count + $1.values.reduce(2) { $0 + $1.utf8.count + 1 } })
        for part in parts {
            message.append(contentsOf: part.label.utf8)
            message.append(0)
            for value in part.values {
                message.append(contentsOf: value.utf8)
                message.append(0x1F)
            }
            message.append(0x1E)
        }
        return message
    }

    /// The last credentials one client connection sent and their partition. An SDK sends the same API key on
    /// every request of a keep-alive connection, and the HMAC was most of a keyed hit's cost. The memo belongs
    /// to the connection's handler and goes with it: no credential outlives the connection that sent it.
    struct Memo {
        fileprivate var parts: [(label: String, values: [String])] = []
        fileprivate var partition: String?
    }

    /// `partition(parts)`, computed only when `parts` differ from the memo's.
    func partition(_ parts: [(label: String, values: [String])], memo: inout Memo) -> String {
        if let partition = memo.partition, Self.same(parts, memo.parts) { return partition }
        let partition = self.partition(parts)
        memo.parts = parts
        memo.partition = partition
        return partition
    }

    private static func same(_ a: [(label: String, values: [String])], _ b: [(label: String, values: [String])]) -> Bool {
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) where x.label != y.label || x.values != y.values { return false }
        return true
    }

    private static func hex<D: Sequence>(_ digest: D, count: Int) -> String where D.Element == UInt8 {
        String(unsafeUninitializedCapacity: count * 2) { out in
            var index = 0
            for byte in digest.prefix(count) {
                out[index] = Self.digits[Int(byte >> 4)]
                out[index + 1] = Self.digits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
}
