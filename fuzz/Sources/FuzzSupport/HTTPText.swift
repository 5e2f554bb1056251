/// What the HTTP parser harnesses check the same way.
public enum HTTPText {
    /// RFC 9110 §5.6.2: tchar.
    public static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// A field a parser handed out: a token name, a value without CR, LF or NUL and without surrounding whitespace.
    public static func checkField(name: String, value: String, file: StaticString = #fileID, line: UInt = #line) {
        Property.require(!name.isEmpty && name.utf8.allSatisfy(Self.isTokenByte), "field name \(name.debugDescription)", file: file, line: line)
        Property.require(
            !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 },
            "field value \(value.debugDescription) holds CR, LF or NUL",
            file: file,
            line: line
        )
        let ows: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        Property.require(
            !(value.utf8.first.map(ows) ?? false) && !(value.utf8.last.map(ows) ?? false),
            "field value \(value.debugDescription) is not trimmed",
            file: file,
            line: line
        )
    }

    /// The length a valid `Content-Length` value declares (`5`, or `5, 5`).
    public static func contentLength(_ value: String) -> Int? {
        let values = value.split(separator: ",").map { String($0.drop(while: isOWS).reversed().drop(while: isOWS).reversed()) }
        guard let first = values.first, let number = Int(first), number >= 0 else { return nil }
        return values.allSatisfy({ Int($0) == number }) ? number : nil
    }

    private static func isOWS(_ character: Character) -> Bool { character == " " || character == "\t" }
}
