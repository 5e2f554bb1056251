@testable import BodyKeying

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// The canonical bytes of `json`, or nil when it does not parse. Tests compare bytes, never `String`s: Swift's
/// `==` on strings treats `"é"` and `"e\u{301}"` as equal.
func canonical(_ json: String) -> [UInt8]? {
    JSONParser.parse(bytes(json)).map { CanonicalJSON.serialize($0) }
}

/// base64url without padding (RFC 4648 §5), for building test JWTs.
func base64URL(_ text: String) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    let input = Array(text.utf8)
    var out: [UInt8] = []
    var index = 0
    while index < input.count {
        let chunk = input[index..<min(index + 3, input.count)]
        var group: UInt32 = 0
        for (offset, byte) in chunk.enumerated() {
            group |= UInt32(byte) << UInt32(16 - 8 * offset)
        }
        for sextet in 0..<(chunk.count + 1) {
            out.append(alphabet[Int((group >> UInt32(18 - 6 * sextet)) & 0x3F)])
        }
        index += 3
    }
    return String(decoding: out, as: UTF8.self)
}
