/// A validating reader of RFC 8941 §3.2 Dictionaries, enough for the targeted cache-control fields
/// of RFC 9213 (which are Dictionaries, unlike `Cache-Control`).
///
/// It does not build typed values: each member keeps the raw text of its value, in a form the
/// `Cache-Control` directive code understands (integer digits, a quoted string, a token).
struct StructuredDictionary {
    struct Member {
        var key: String
        /// Raw text of the bare item or inner list; `nil` for a bare key (boolean true).
        var value: Substring?
        /// `key=?0`: the member is present but false.
        var isFalse: Bool
    }

    private(set) var members: [Member] = []

    /// `nil` when the text is not a valid Dictionary (RFC 8941 §4.2: parsing fails as a whole).
    init?(_ text: String) {
        var parser = Parser(bytes: Substring(text))
        guard let members = parser.parseDictionary() else {
            return nil
        }
        // RFC 8941 §4.2.2: with duplicate keys, the last one wins.
        for member in members {
            self.members.removeAll { $0.key == member.key }
            self.members.append(member)
        }
    }

    private struct Parser {
        var bytes: Substring

        mutating func parseDictionary() -> [Member]? {
            self.skip(" ")
            var members: [Member] = []
            while !self.bytes.isEmpty {
                guard let key = self.parseKey() else {
                    return nil
                }
                var member = Member(key: key, value: nil, isFalse: false)
                if self.bytes.first == "=" {
                    self.bytes.removeFirst()
                    let start = self.bytes.startIndex
                    if self.bytes.first == "(" {
                        guard self.parseInnerList() else {
                            return nil
                        }
                    } else {
                        guard self.parseBareItem() else {
                            return nil
                        }
                    }
                    let raw = self.bytes.base[start..<self.bytes.startIndex]
                    if raw == "?1" {
                        member.value = nil
                    } else if raw == "?0" {
                        member.isFalse = true
                    } else {
                        member.value = raw
                    }
                }
                guard self.parseParameters() else {
                    return nil
                }
                members.append(member)
                self.skipOWS()
                if self.bytes.isEmpty {
                    return members
                }
                guard self.bytes.first == "," else {
                    return nil
                }
                self.bytes.removeFirst()
                self.skipOWS()
                if self.bytes.isEmpty {  // a trailing comma is an error
                    return nil
                }
            }
            return members
        }

        /// key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
        mutating func parseKey() -> String? {
            guard let first = self.bytes.first, first == "*" || ("a"..."z").contains(first) else {
                return nil
            }
            var key = ""
            while let character = self.bytes.first,
                ("a"..."z").contains(character) || ("0"..."9").contains(character) || "_-.*".contains(character)
            {
                key.append(character)
                self.bytes.removeFirst()
            }
            return key
        }

        mutating func parseParameters() -> Bool {
            while self.bytes.first == ";" {
                self.bytes.removeFirst()
                self.skip(" ")
                guard self.parseKey() != nil else {
                    return false
                }
                if self.bytes.first == "=" {
                    self.bytes.removeFirst()
                    guard self.parseBareItem() else {
                        return false
                    }
                }
            }
            return true
        }

        mutating func parseInnerList() -> Bool {
            self.bytes.removeFirst()  // "("
            while !self.bytes.isEmpty {
                self.skip(" ")
                if self.bytes.first == ")" {
                    self.bytes.removeFirst()
                    return self.parseParameters()
                }
                guard self.parseBareItem(), self.parseParameters() else {
                    return false
                }
                guard self.bytes.first == " " || self.bytes.first == ")" else {
                    return false
                }
            }
            return false
        }

        mutating func parseBareItem() -> Bool {
            guard let first = self.bytes.first else {
                return false
            }
            switch first {
            case "-", "0"..."9":
                return self.parseNumber()
            case "\"":
                return self.parseString()
            case "?":
                self.bytes.removeFirst()
                guard let value = self.bytes.first, value == "0" || value == "1" else {
                    return false
                }
                self.bytes.removeFirst()
                return true
            case ":":
                self.bytes.removeFirst()
                while let character = self.bytes.first, character != ":" {
                    guard character.isASCII, character.isLetter || character.isNumber || "+/=".contains(character)
                    else {
                        return false
                    }
                    self.bytes.removeFirst()
                }
                guard self.bytes.first == ":" else {
                    return false
                }
                self.bytes.removeFirst()
                return true
            default:
                guard first == "*" || (first.isASCII && first.isLetter) else {
                    return false
                }
                while let character = self.bytes.first,
                    FieldParsing.isTokenCharacter(character) || character == ":" || character == "/"
                {
                    self.bytes.removeFirst()
                }
                return true
            }
        }

        /// RFC 8941 §4.2.4: at most 15 integer digits, or 12 + "." + 1...3 for a decimal.
        mutating func parseNumber() -> Bool {
            if self.bytes.first == "-" {
                self.bytes.removeFirst()
            }
            var integerDigits = 0
            while let character = self.bytes.first, ("0"..."9").contains(character) {
                integerDigits += 1
                self.bytes.removeFirst()
            }
            guard integerDigits > 0 else {
                return false
            }
            guard self.bytes.first == "." else {
                return integerDigits <= 15
            }
            self.bytes.removeFirst()
            var fractionDigits = 0
            while let character = self.bytes.first, ("0"..."9").contains(character) {
                fractionDigits += 1
                self.bytes.removeFirst()
            }
            return integerDigits <= 12 && (1...3).contains(fractionDigits)
        }

        mutating func parseString() -> Bool {
            self.bytes.removeFirst()  // opening quote
            while let character = self.bytes.first {
                self.bytes.removeFirst()
                if character == "\\" {
                    guard let escaped = self.bytes.first, escaped == "\"" || escaped == "\\" else {
                        return false
                    }
                    self.bytes.removeFirst()
                } else if character == "\"" {
                    return true
                } else if !(character.asciiValue.map { $0 >= 0x20 && $0 < 0x7F } ?? false) {
                    return false
                }
            }
            return false
        }

        mutating func skip(_ character: Character) {
            while self.bytes.first == character {
                self.bytes.removeFirst()
            }
        }

        mutating func skipOWS() {
            while let first = self.bytes.first, FieldParsing.isOWS(first) {
                self.bytes.removeFirst()
            }
        }
    }
}
