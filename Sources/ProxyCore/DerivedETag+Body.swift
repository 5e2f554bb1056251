import Crypto
import HTTPCaching
import NIOCore

extension DerivedETag {
    /// `"reprise-<24 hex digits of SHA-256(body)>"`: the same bytes give the same tag on every instance and after
    /// every refetch, so a client's `If-None-Match` still matches when an identical body was fetched again.
    static func of(body: [ByteBuffer]) -> String {
        var hash = SHA256()
        for part in body {
            part.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
        }
        let digest = hash.finalize()
        var hex = ""
        hex.reserveCapacity(24)
        for byte in digest.prefix(12) {
            hex.append(Self.digits[Int(byte >> 4)])
            hex.append(Self.digits[Int(byte & 0x0F)])
        }
        return Self.make(hexDigest: hex)
    }

    private static let digits = Array("0123456789abcdef")
}
