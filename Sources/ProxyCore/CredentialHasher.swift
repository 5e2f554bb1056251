import Crypto
import NIOHTTP1

/// Turns the credential values a route keys on into an opaque partition name: HMAC-SHA256 under a
/// secret that never leaves the process, so a cache dump, a key listing or a log line shows no credential.
/// `@unchecked Sendable`: `SymmetricKey` is an immutable value that swift-crypto does not mark `Sendable`.
public struct CredentialHasher: @unchecked Sendable {
    /// The partition of requests that carry none of the key headers.
    public static let anonymous = "-"

    private let key: SymmetricKey

    public init(secret: [UInt8]) {
        self.key = SymmetricKey(data: secret)
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
        var hmac = HMAC<SHA256>(key: self.key)
        for part in parts {
            hmac.update(data: Array(part.label.utf8))
            hmac.update(data: [0])
            for value in part.values {
                hmac.update(data: Array(value.utf8))
                hmac.update(data: [0x1F])
            }
            hmac.update(data: [0x1E])
        }
        return Self.hex(hmac.finalize(), count: 16)
    }

    private static func hex<D: Sequence>(_ digest: D, count: Int) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in digest.prefix(count) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
