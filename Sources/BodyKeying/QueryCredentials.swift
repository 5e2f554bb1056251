/// Takes credentials that travel in the query string (Gemini's `?key=`) out of a request target, so the cache key
/// and the logs can carry a hash of them instead of the secret.
public enum QueryCredentials {
    /// Splits the parameters whose percent-decoded name is one of `names` (case-sensitive, byte-exact) out of
    /// `target` (`/path?a=1&key=SECRET&b=2`).
    ///
    /// Returns the target without them (`/path?a=1&b=2`; `/path` when no parameter is left; `target` unchanged when
    /// none matched) and the removed pairs in order. Other parameters keep their exact bytes and order. A parameter
    /// without `=` has the value `""`. Names and values are percent-decoded (`%6Bey` is `key`); `+` is left as is,
    /// and a value whose decoding is not valid UTF-8, or has a malformed `%`, is returned undecoded.
    public static func split(
        target: String,
        names: [String]
    ) -> (target: String, credentials: [(name: String, value: String)]) {
        let utf8 = Array(target.utf8)
        guard let mark = utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target, []) }
        let path = utf8[..<mark]
        var kept: [ArraySlice<UInt8>] = []
        var credentials: [(name: String, value: String)] = []
        for parameter in utf8[(mark + 1)...].split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
            let equals = parameter.firstIndex(of: UInt8(ascii: "=")) ?? parameter.endIndex
            let rawName = parameter[..<equals]
            let decodedName = Self.percentDecode(rawName) ?? Array(rawName)
            guard let name = names.first(where: { $0.utf8.elementsEqual(decodedName) }) else {
                kept.append(parameter)
                continue
            }
            let rawValue = parameter[equals...].dropFirst()
            let value = Self.percentDecode(rawValue).flatMap { String(validating: $0, as: UTF8.self) }
            credentials.append((name: name, value: value ?? String(decoding: rawValue, as: UTF8.self)))
        }
        guard !credentials.isEmpty else { return (target, []) }
        guard kept.contains(where: { !$0.isEmpty }) else { return (String(decoding: path, as: UTF8.self), credentials) }
        let query = kept.joined(separator: [UInt8(ascii: "&")])
        return (String(decoding: path + [UInt8(ascii: "?")] + query, as: UTF8.self), credentials)
    }

    /// RFC 3986 §2.1 percent-decoding, or nil when a `%` is not followed by two hex digits.
    static func percentDecode(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex, let high = Self.hexValue(bytes[index + 1]),
                    let low = Self.hexValue(bytes[index + 2])
                else { return nil }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
