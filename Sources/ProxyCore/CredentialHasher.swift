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
    /// The same HMAC for key names, taken apart (RFC 2104): the inner hash after the padded key and the label, and the
    /// outer hash after the padded key. A name then costs its own blocks and one outer block, fed through
    /// `update(bufferPointer:)`: `HMAC.update(data:)` is generic over `DataProtocol` and ran unspecialized, with
    /// type metadata looked up at each call (issue 18: 4.8% of a miss's CPU).
    private let keyNameInner: SHA256
    private let keyNameOuter: SHA256

    public init(secret: [UInt8]) {
        self.template = HMAC<SHA256>(key: SymmetricKey(data: secret))
        var key = secret.count > SHA256.blockByteCount ? Array(SHA256.hash(data: secret)) : secret
        key += [UInt8](repeating: 0, count: SHA256.blockByteCount - key.count)
        var inner = SHA256()
        inner.update(data: key.map { $0 ^ 0x36 })
        inner.update(data: Array("reprise-cache-key\u{0}".utf8))
        var outer = SHA256()
        outer.update(data: key.map { $0 ^ 0x5C })
        self.keyNameInner = inner
        self.keyNameOuter = outer
    }

    /// A fresh random secret, for a single instance without `key_secret`.
    public static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The partition for labelled credential values (header, query parameter, JWT claim); anonymous when none
    /// of them has a value. The labels say where each value was found, but the partition depends on the values
    /// only: one Gemini key sent as `x-goog-api-key` or as `?key=` is one partition.
    func partition(_ parts: [(label: String, values: [String])]) -> String {
        guard parts.contains(where: { !$0.values.isEmpty }) else { return Self.anonymous }
        var hmac = self.template
        hmac.update(data: Self.message(parts))
        return Self.hex(hmac.finalize(), count: 16)
    }

    /// What the HMAC reads: the distinct credential values, as UTF-8 bytes in ascending byte order, each followed by
    /// 0x1F. Where a value was found (its label) is left out, and so are repeats. Every instance of a fleet must
    /// produce these exact bytes (their partitions have to agree); `CredentialHasherTests` pins them against Python's
    /// `hmac`.
    static func message(_ parts: [(label: String, values: [String])]) -> [UInt8] {
        var values: [[UInt8]] = []
        for part in parts {
            for value in part.values { values.append(Array(value.utf8)) }
        }
        values.sort { $0.lexicographicallyPrecedes($1) }
        var message: [UInt8] = []
        message.reserveCapacity(values.reduce(0) { $0 + $1.count + 1 })
        var previous: [UInt8]?
        for value in values where value != previous {
            message.append(contentsOf: value)
            message.append(0x1F)
            previous = value
        }
        return message
    }

    /// The short, stable name of one cache key (the `Reprise-Cache-Key` response field, `POST /purge {"keys": [...]}`):
    /// 16 hex digits of an HMAC of the key under the same secret, so it reveals neither the prompt nor the credential
    /// behind the key, and every instance of a fleet names the same key the same way.
    func keyID(_ primaryKey: String) -> String {
        var inner = self.keyNameInner
        var key = primaryKey
        key.withUTF8 { inner.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        var outer = self.keyNameOuter
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return Self.hex(outer.finalize(), count: 8)
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

    /// The first `count` bytes of a digest or MAC in lower-case hex, read through its bytes (iterating one as a
    /// `Sequence` made an array of it first).
    private static func hex(_ digest: SHA256Digest, count: Int) -> String {
        digest.withUnsafeBytes { Self.hex($0, count: count) }
    }

    private static func hex(_ code: HashedAuthenticationCode<SHA256>, count: Int) -> String {
        code.withUnsafeBytes { Self.hex($0, count: count) }
    }

    private static func hex(_ bytes: UnsafeRawBufferPointer, count: Int) -> String {
        String(unsafeUninitializedCapacity: count * 2) { out in
            var index = 0
            for byte in bytes.prefix(count) {
                out[index] = Self.digits[Int(byte >> 4)]
                out[index + 1] = Self.digits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
}
