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
