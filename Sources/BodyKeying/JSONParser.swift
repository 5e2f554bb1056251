/// A strict RFC 8259 parser: one value, surrounded only by insignificant whitespace (space, tab, LF, CR).
///
/// Rejected (the result is nil): trailing commas, single quotes, `NaN`/`Infinity`, comments, a byte-order mark,
/// unescaped control characters in strings, invalid UTF-8, lone surrogate escapes (`"\ud800"`; a Swift `String`
/// cannot hold them, and replacing them would make different bodies look equal), trailing bytes after the value,
/// nesting deeper than `maximumDepth`, and numbers with an exponent beyond `JSONNumber.maximumExponentMagnitude`.
public enum JSONParser {
    /// Arrays and objects may nest this deep; the top-level container is depth 1.
    public static let maximumDepth = 256

    /// The value in `bytes`, or nil when `bytes` is not exactly one valid JSON text.
    public static func parse(_ bytes: some Collection<UInt8>) -> JSONValue? {
        var reader = Reader(bytes: Array(bytes))
        reader.skipWhitespace()
        guard let value = reader.readValue(depth: 0) else { return nil }
        reader.skipWhitespace()
        guard reader.isAtEnd else { return nil }
        return value
    }
}

// MARK: - Reader

/// A cursor over the input; every `read…` returns nil on the first grammar error.
private struct Reader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { self.index == self.bytes.count }

    var current: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    mutating func skipWhitespace() {
        // RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D )
        while let byte = self.current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            self.index += 1
        }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard self.current == byte else { return false }
        self.index += 1
        return true
    }

    mutating func consumeLiteral(_ literal: String) -> Bool {
        let utf8 = Array(literal.utf8)
        guard self.bytes.count - self.index >= utf8.count,
            self.bytes[self.index..<self.index + utf8.count].elementsEqual(utf8)
        else { return false }
        self.index += utf8.count
        return true
    }

    mutating func readValue(depth: Int) -> JSONValue? {
        switch self.current {
        case UInt8(ascii: "{"):
            return self.readObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return self.readArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            return self.readString().map { .string($0) }
        case UInt8(ascii: "t"):
            return self.consumeLiteral("true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return self.consumeLiteral("false") ? .bool(false) : nil
        case UInt8(ascii: "n"):
            return self.consumeLiteral("null") ? .null : nil
        default:
            return self.readNumber().map { .number($0) }
        }
    }

    // MARK: Containers

    mutating func readObject(depth: Int) -> JSONValue? {
        guard depth <= JSONParser.maximumDepth, self.consume(UInt8(ascii: "{")) else { return nil }
        var members: [(String, JSONValue)] = []
        self.skipWhitespace()
        if self.consume(UInt8(ascii: "}")) { return .object(members) }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\""), let name = self.readString() else { return nil }
            self.skipWhitespace()
            guard self.consume(UInt8(ascii: ":")) else { return nil }
            self.skipWhitespace()
            guard let value = self.readValue(depth: depth) else { return nil }
            members.append((name, value))
            self.skipWhitespace()
            if self.consume(UInt8(ascii: "}")) { return .object(members) }
            guard self.consume(UInt8(ascii: ",")) else { return nil }
        }
    }

    mutating func readArray(depth: Int) -> JSONValue? {
        guard depth <= JSONParser.maximumDepth, self.consume(UInt8(ascii: "[")) else { return nil }
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.consume(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            self.skipWhitespace()
            guard let value = self.readValue(depth: depth) else { return nil }
            elements.append(value)
            self.skipWhitespace()
            if self.consume(UInt8(ascii: "]")) { return .array(elements) }
            guard self.consume(UInt8(ascii: ",")) else { return nil }
        }
    }

    // MARK: Scalars

    mutating func readNumber() -> String? {
        let start = self.index
        while let byte = self.current,
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E")
        {
            self.index += 1
        }
        guard self.index > start else { return nil }
        return JSONNumber.canonical(self.bytes[start..<self.index])
    }

    /// Reads a string token, starting at its opening quote, decoding escapes (RFC 8259 §7).
    mutating func readString() -> String? {
        guard self.consume(UInt8(ascii: "\"")) else { return nil }
        var out: [UInt8] = []
        while let byte = self.current {
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard self.readEscape(into: &out) else { return nil }
            case 0x00..<0x20:
                return nil  // control characters must be escaped
            default:
                out.append(byte)
            }
        }
        return nil  // unterminated
    }

    mutating func readEscape(into out: inout [UInt8]) -> Bool {
        guard let byte = self.current else { return false }
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = self.readHex4() else { return false }
            var scalarValue = UInt32(unit)
            if (0xD800..<0xDC00).contains(unit) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard self.consumeLiteral("\\u"), let low = self.readHex4(), (0xDC00..<0xE000).contains(low) else {
                    return false
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { return false }  // lone low surrogate
            out.append(contentsOf: scalar.utf8)
        default:
            return false
        }
        return true
    }

    mutating func readHex4() -> UInt16? {
        guard self.bytes.count - self.index >= 4 else { return nil }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
            self.index += 1
        }
        return value
    }
}
