import Crypto

/// The body part of a cache key for a request whose body selects the response (TTS text, a Gemini prompt).
public enum BodyKey {
    /// The key part for a request body.
    ///
    /// - `"json:" + hex SHA-256` of `CanonicalJSON.serialize` (after removing `ignoredFields`, RFC 6901 pointers)
    ///   when the content type is absent or JSON (`application/json` or any `+json` type, parameters ignored) and
    ///   the body is valid JSON: key order, whitespace, escapes and number spellings then don't split the cache.
    /// - `"bytes:" + hex SHA-256` of the raw body otherwise (multipart uploads, invalid JSON).
    ///
    /// The two prefixes keep the spaces apart, so a raw body can never produce a JSON key.
    public static func digest(body: some Collection<UInt8>, contentType: String?, ignoredFields: [String]) -> String {
        let bytes = Array(body)
        if Self.mayBeJSON(contentType: contentType), let value = JSONParser.parse(bytes) {
            let canonical = CanonicalJSON.serialize(CanonicalJSON.removing(ignoredFields, from: value))
            return "json:" + Self.sha256Hex(canonical)
        }
        return "bytes:" + Self.sha256Hex(bytes)
    }

    /// Whether a body with this `Content-Type` is read as JSON: absent or blank, `application/json`, or a
    /// structured `+json` suffix type (RFC 6839 §3.1), case-insensitively and ignoring parameters such as `charset`.
    static func mayBeJSON(contentType: String?) -> Bool {
        guard let contentType else { return true }
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        var mediaType = Array(contentType.utf8.prefix { $0 != UInt8(ascii: ";") })
        while let last = mediaType.last, isSpace(last) { mediaType.removeLast() }
        mediaType = mediaType.drop(while: isSpace).map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        if mediaType.isEmpty { return true }
        return mediaType.elementsEqual("application/json".utf8)
            || (mediaType.contains(UInt8(ascii: "/")) && mediaType.count > 5
                && mediaType.suffix(5).elementsEqual("+json".utf8))
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        let hexDigits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in hasher.finalize() {
            out += [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
