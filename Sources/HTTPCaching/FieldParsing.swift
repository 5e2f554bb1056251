/// Small lexical helpers shared by the parsers (RFC 9110 §5.6).
enum FieldParsing {
    /// RFC 9110 §5.6.3: optional whitespace is spaces and horizontal tabs.
    static func isOWS(_ character: Character) -> Bool {
        character == " " || character == "\t"
    }

    static func trimOWS<S: StringProtocol>(_ value: S) -> Substring {
        var slice = Substring(value)
        while let first = slice.first, Self.isOWS(first) {
            slice.removeFirst()
        }
        while let last = slice.last, Self.isOWS(last) {
            slice.removeLast()
        }
        return slice
    }

    /// RFC 9110 §5.6.2: tchar.
    static func isTokenCharacter(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else {
            return false
        }
        switch ascii {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".contains(character)
        }
    }

    static func isToken<S: StringProtocol>(_ value: S) -> Bool {
        !value.isEmpty && value.allSatisfy(Self.isTokenCharacter)
    }

    /// RFC 9110 §5.6.1: splits a list value on the commas that are outside quoted strings,
    /// trims OWS and drops empty elements.
    static func splitList<S: StringProtocol>(_ value: S) -> [Substring] {
        let text = Substring(value)
        var elements: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        var inQuotes = false
        while index < text.endIndex {
            let character = text[index]
            if inQuotes {
                if character == "\\" {
                    index = text.index(after: index)
                    if index == text.endIndex {
                        break
                    }
                } else if character == "\"" {
                    inQuotes = false
                }
            } else if character == "\"" {
                inQuotes = true
            } else if character == "," {
                elements.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        elements.append(text[start..<text.endIndex])
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
