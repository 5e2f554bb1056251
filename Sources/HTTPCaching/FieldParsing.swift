/// Small lexical helpers shared by the parsers (RFC 9110 §5.6).
enum FieldParsing {
    /// RFC 9110 §5.6.3: optional whitespace is spaces and horizontal tabs.
    static func isOWS(_ character: Character) -> Bool {
        character == " " || character == "\t"
    }

    /// Works on Unicode scalars, not Characters: a combining scalar after a space or a delimiter would otherwise
    /// merge with it into one Character that no longer equals it (see `splitList`).
    static func trimOWS<S: StringProtocol>(_ value: S) -> Substring {
        var scalars = Substring(value).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" {
            scalars.removeFirst()
        }
        while let last = scalars.last, last == " " || last == "\t" {
            scalars.removeLast()
        }
        return Substring(scalars)
    }

    /// RFC 9110 §5.6.2: tchar.
    static func isTokenCharacter(_ character: Character) -> Bool {
        // One scalar only: `asciiValue` also answers for "\r\n", which is no tchar anyway.
        guard let ascii = character.asciiValue else {
            return false
        }
        return Self.isTokenByte(ascii)
    }

    /// RFC 9110 §5.6.2: tchar, as one byte of UTF-8 (a byte of a multi-byte sequence is none).
    static func isTokenByte(_ ascii: UInt8) -> Bool {
        switch ascii {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func isToken<S: StringProtocol>(_ value: S) -> Bool {
        !value.isEmpty && value.allSatisfy(Self.isTokenCharacter)
    }

    /// RFC 9110 §5.6.1: splits a list value on the commas that are outside quoted strings,
    /// trims OWS and drops empty elements.
    ///
    /// Reads Unicode scalars, not Characters: a field value is bytes, and a combining scalar (obs-text from a
    /// broken or hostile peer) right after a comma or a quote would otherwise form one Character with it, hiding
    /// the delimiter. `private,\u{301} max-age=60` must still say `private`.
    static func splitList<S: StringProtocol>(_ value: S) -> [Substring] {
        let scalars = Substring(value).unicodeScalars
        var elements: [Substring] = []
        var start = scalars.startIndex
        var index = scalars.startIndex
        var inQuotes = false
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if inQuotes {
                if scalar == "\\" {
                    index = scalars.index(after: index)
                    if index == scalars.endIndex {
                        break
                    }
                } else if scalar == "\"" {
                    inQuotes = false
                }
            } else if scalar == "\"" {
                inQuotes = true
            } else if scalar == "," {
                elements.append(Substring(scalars[start..<index]))
                start = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        elements.append(Substring(scalars[start..<scalars.endIndex]))
        return elements.map { Self.trimOWS($0) }.filter { !$0.isEmpty }
    }

    /// Splits every field line as a list and concatenates the elements.
    static func listElements(_ lines: [String]) -> [Substring] {
        lines.flatMap { Self.splitList($0) }
    }

    /// RFC 9110 §5.6.4: the content of a quoted-string, with quoted-pairs resolved; `nil` when the
    /// value is not exactly one well-formed quoted-string.
    static func unquote<S: StringProtocol>(_ value: S) -> String? {
        guard value.first == "\"", value.count >= 2 else {
            return nil
        }
        var result = ""
        var index = value.index(after: value.startIndex)
        while index < value.endIndex {
            let character = value[index]
            if character == "\\" {
                index = value.index(after: index)
                guard index < value.endIndex else {
                    return nil
                }
                result.append(value[index])
            } else if character == "\"" {
                return value.index(after: index) == value.endIndex ? result : nil
            } else {
                result.append(character)
            }
            index = value.index(after: index)
        }
        return nil
    }

    /// A token or a quoted-string argument, unquoted.
    static func tokenOrQuotedString<S: StringProtocol>(_ value: S) -> String? {
        if value.first == "\"" {
            return Self.unquote(value)
        }
        return Self.isToken(value) ? String(value) : nil
    }

    /// RFC 9111 §1.2.2: delta-seconds = 1*DIGIT; a value above the greatest representable integer
    /// is taken as 2147483648. `nil` for anything that is not only digits (signs, fractions, spaces).
    static func deltaSeconds<S: StringProtocol>(_ value: S) -> Int? {
        guard !value.isEmpty else {
            return nil
        }
        var result = 0
        for character in value.utf8 {
            guard character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9") else {
                return nil
            }
            if result < Leniencies.deltaSecondsLimit {
                result = result * 10 + Int(character - UInt8(ascii: "0"))
            }
        }
        return min(result, Leniencies.deltaSecondsLimit)
    }
}
