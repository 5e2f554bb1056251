/// An entity tag (RFC 9110 §8.8.3): `"opaque"` or weak `W/"opaque"`.
public struct EntityTag: Sendable, Hashable, CustomStringConvertible {
    public var isWeak: Bool
    /// The characters between the quotes.
    public var opaqueTag: String

    public init(opaqueTag: String, isWeak: Bool = false) {
        self.opaqueTag = opaqueTag
        self.isWeak = isWeak
    }

    /// Parses one entity-tag (surrounding whitespace allowed); `nil` when malformed.
    public init?(_ value: String) {
        var scanner = Substring(FieldParsing.trimOWS(value))
        if let tag = Self.scan(&scanner), scanner.isEmpty {
            self = tag
            return
        }
        // Leniency: an unquoted tag (`ETag: abcdef`, seen in the wild) is taken as a strong tag.
        guard let tag = Self.unquoted(FieldParsing.trimOWS(value)) else {
            return nil
        }
        self = tag
    }

    /// A bare token with no quotes, spaces or commas, as a strong tag (see Leniencies).
    private static func unquoted(_ text: Substring) -> EntityTag? {
        guard !text.isEmpty, !text.hasPrefix("W/"),
            text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x22 && $0.value != 0x2C && $0.value != 0x7F })
        else {
            return nil
        }
        return EntityTag(opaqueTag: String(text))
    }

    public var description: String {
        (self.isWeak ? "W/" : "") + "\"" + self.opaqueTag + "\""
    }

    /// RFC 9110 §8.8.3.2: both strong and the same opaque tag.
    public func strongMatches(_ other: EntityTag) -> Bool {
        !self.isWeak && !other.isWeak && self.opaqueTag == other.opaqueTag
    }

    /// RFC 9110 §8.8.3.2: the same opaque tag, weak or not.
    public func weakMatches(_ other: EntityTag) -> Bool {
        self.opaqueTag == other.opaqueTag
    }

    // MARK: Lists (If-Match, If-None-Match)

    /// The value of an `If-Match` / `If-None-Match` field.
    public enum Condition: Sendable, Equatable {
        case any
        case tags([EntityTag])
    }

    /// RFC 9110 §13.1.1, §13.1.2: `*` or a list of entity-tags; `nil` when malformed (then the
    /// precondition is not evaluated).
    public static func parseCondition(_ lines: [String]) -> Condition? {
        let text = lines.joined(separator: ",")
        if FieldParsing.trimOWS(text) == "*" {
            return .any
        }
        var scanner = Substring(text)
        var tags: [EntityTag] = []
        while true {
            Self.skip(&scanner) { FieldParsing.isOWS($0) || $0 == "," }
            if scanner.isEmpty {
                break
            }
            if let tag = Self.scan(&scanner) {
                tags.append(tag)
            } else {
                // Leniency: an unquoted element up to the next comma.
                let end = scanner.firstIndex(of: ",") ?? scanner.endIndex
                guard let tag = Self.unquoted(FieldParsing.trimOWS(scanner[..<end])) else {
                    return nil
                }
                tags.append(tag)
                scanner = scanner[end...]
            }
            Self.skip(&scanner, while: FieldParsing.isOWS)
            guard scanner.isEmpty || scanner.first == "," else {
                return nil
            }
        }
        return tags.isEmpty ? nil : .tags(tags)
    }

    /// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (etagc excludes DQUOTE, spaces and controls).
    private static func scan(_ scanner: inout Substring) -> EntityTag? {
        var isWeak = false
        if scanner.hasPrefix("W/") {
            isWeak = true
            scanner = scanner.dropFirst(2)
        }
        guard scanner.first == "\"" else {
            return nil
        }
        scanner = scanner.dropFirst()
        guard let close = scanner.firstIndex(of: "\"") else {
            return nil
        }
        let opaque = scanner[..<close]
        guard opaque.unicodeScalars.allSatisfy({ $0.value == 0x21 || ($0.value >= 0x23 && $0.value != 0x7F) }) else {
            return nil
        }
        scanner = scanner[scanner.index(after: close)...]
        return EntityTag(opaqueTag: String(opaque), isWeak: isWeak)
    }

    private static func skip(_ scanner: inout Substring, while predicate: (Character) -> Bool) {
        while let first = scanner.first, predicate(first) {
            scanner.removeFirst()
        }
    }
}
