/// JSON Pointer syntax (RFC 6901): `""` is the whole document, otherwise `/`-separated reference tokens in which
/// `~1` stands for `/` and `~0` for `~`.
enum JSONPointer {
    /// The unescaped reference tokens of `pointer`, or nil when it is not RFC 6901 syntax (it does not start
    /// with `/`, or a `~` is not followed by `0` or `1`). `""` gives no tokens: the whole document.
    static func tokens(_ pointer: String) -> [String]? {
        guard !pointer.isEmpty else { return [] }
        // RFC 6901 §3: json-pointer = *( "/" reference-token )
        guard pointer.utf8.first == UInt8(ascii: "/") else { return nil }
        var tokens: [String] = []
        for raw in pointer.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            guard let token = Self.unescape(raw) else { return nil }
            tokens.append(token)
        }
        return tokens
    }

    /// RFC 6901 §4: `~1` becomes `/` and then `~0` becomes `~`; done in one pass, so `~01` is `~1`, not `/`.
    private static func unescape(_ raw: some Collection<UInt8>) -> String? {
        var out: [UInt8] = []
        var iterator = raw.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "~") else {
                out.append(byte)
                continue
            }
            switch iterator.next() {
            case UInt8(ascii: "0"): out.append(UInt8(ascii: "~"))
            case UInt8(ascii: "1"): out.append(UInt8(ascii: "/"))
            default: return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 6901 §4: an array index is `0` or digits without a leading zero; `-` (past the end) names no element.
    static func arrayIndex(_ token: String) -> Int? {
        let utf8 = token.utf8
        guard let first = utf8.first, utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            first != UInt8(ascii: "0") || utf8.count == 1
        else { return nil }
        return Int(token)  // nil on overflow: no array is that long
    }
}
