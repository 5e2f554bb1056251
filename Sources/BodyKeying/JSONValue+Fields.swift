// MARK: - Reading fields of a response body (store conditions, cost)

extension JSONValue {
    /// The value at the RFC 6901 `pointer`, or nil when the pointer is invalid or a step is missing.
    public func field(at pointer: String) -> JSONValue? {
        guard let tokens = JSONPointer.tokens(pointer) else { return nil }
        return self.value(at: tokens)
    }

    /// For a top-level array (a stream sent as one JSON array, as Gemini's `streamGenerateContent` without
    /// `alt=sse`), its last element; nil for an empty array; any other value itself.
    public var finalElement: JSONValue? {
        guard case .array(let elements) = self else { return self }
        return elements.last
    }

    /// null, `""`, `[]` or `{}`: a field that says nothing.
    public var isEmpty: Bool {
        switch self {
        case .null: return true
        case .string(let text): return text.isEmpty
        case .array(let elements): return elements.isEmpty
        case .object(let members): return members.isEmpty
        case .bool, .number: return false
        }
    }

    /// Whether this is a string or number whose text is one of `values`. A string matches a value with the same
    /// UTF-8 bytes; a number matches any spelling of the same number (`"0"` matches `0` and `0.0`).
    public func matches(oneOf values: [String]) -> Bool {
        switch self {
        case .string(let text):
            return values.contains { $0.utf8.elementsEqual(text.utf8) }
        case .number(let canonical):
            return values.contains { value in
                let wanted = JSONNumber.canonical(value.utf8) ?? value
                return wanted.utf8.elementsEqual(canonical.utf8)
            }
        default:
            return false
        }
    }

    /// A number that is a whole number from 0 to 2^53 (a token or character count); nil otherwise.
    public var wholeNumber: Int? {
        guard case .number(let canonical) = self, let value = Int(canonical), value >= 0, value <= 1 << 53 else {
            return nil
        }
        return value
    }
}
