/// A parsed JSON value (RFC 8259).
///
/// - Objects keep their members in source order, duplicates included (RFC 8259 §4 leaves duplicate names to the
///   implementation; see `CanonicalJSON` for how they are treated).
/// - Numbers hold their canonical text (`JSONNumber.canonical`): `1`, `1.0` and `10e-1` are all `.number("1")`.
///   The source spelling is not kept: a body that must be keyed on its exact bytes is hashed as bytes instead.
/// - Equality is structural and byte-exact: strings and member names compare by their UTF-8 bytes (not by Swift's
///   Unicode canonical equivalence, so `"é"` and `"e\u{301}"` differ, as they do for the upstream), and member order
///   counts. Compare `CanonicalJSON.serialize` outputs to ignore member order.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// The canonical text of the number (see `JSONNumber`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
}

// MARK: - Equatable

extension JSONValue: Equatable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case (.bool(let a), .bool(let b)):
            return a == b
        case (.number(let a), .number(let b)), (.string(let a), .string(let b)):
            return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)):
            return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            return zip(a, b).allSatisfy { $0.0.utf8.elementsEqual($1.0.utf8) && $0.1 == $1.1 }
        default:
            return false
        }
    }
}

// MARK: - Lookup

extension JSONValue {
    /// The value at the already-split pointer `tokens`, or nil when a step is missing.
    /// With duplicate member names the last one wins, as in most JSON parsers (Python's `json`, JavaScript's `JSON`).
    func value(at tokens: some Sequence<String>) -> JSONValue? {
        var current = self
        for token in tokens {
            switch current {
            case .object(let members):
                guard let member = members.last(where: { $0.0.utf8.elementsEqual(token.utf8) }) else { return nil }
                current = member.1
            case .array(let elements):
                guard let index = JSONPointer.arrayIndex(token), index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }
}
