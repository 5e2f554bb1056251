/// The request field values a stored response was selected by (RFC 9111 §4.1).
///
/// An entry without `Vary` has an empty key that matches every request.
public struct VaryKey: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// Lower-cased field name.
        public var name: String
        /// Normalized request value; `nil` when the request did not have the field.
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// One entry per distinct field name listed in `Vary`, sorted by name.
    public private(set) var entries: [Entry]

    /// The key of a response without `Vary`.
    public static let empty = VaryKey(entries: [])

    private init(entries: [Entry]) {
        self.entries = entries
    }

    /// A key as stored elsewhere (a shared L2 tier): entries already normalized, sorted by name.
    public init(storedEntries: [Entry]) {
        self.entries = storedEntries.sorted { $0.name < $1.name }
    }

    /// `nil` for `Vary: *` (RFC 9111 §4.1: it always fails to match).
    public init?(varyFieldValues: [String], requestHeaders: some HTTPFieldReading) {
        guard let names = Self.fieldNames(varyFieldValues) else {
            return nil
        }
        self.entries = names.map { Entry(name: $0, value: Self.normalizedValue($0, in: requestHeaders)) }
    }

    public var isEmpty: Bool {
        self.entries.isEmpty
    }

    /// The lower-cased field names the response varies on.
    public var fieldNames: [String] {
        self.entries.map(\.name)
    }

    /// RFC 9111 §4.1: the request has the same (normalized) values for every listed field, and
    /// a field absent from one is absent from the other.
    public func matches(_ requestHeaders: some HTTPFieldReading) -> Bool {
        self.entries.allSatisfy { $0.value == Self.normalizedValue($0.name, in: requestHeaders) }
    }

    // MARK: Parsing and normalization

    /// The distinct lower-cased names of a `Vary` field, sorted; `nil` if one of them is `*`.
    static func fieldNames(_ varyFieldValues: [String]) -> [String]? {
        var names = Set<String>()
        for element in FieldParsing.listElements(varyFieldValues) {
            if element == "*" {
                return nil
            }
            names.insert(element.lowercased())
        }
        return names.sorted()
    }

    static func containsStar(_ varyFieldValues: [String]) -> Bool {
        FieldParsing.listElements(varyFieldValues).contains("*")
    }

    /// RFC 9111 §4.1: lines combined with ", " (RFC 9110 §5.3), runs of whitespace collapsed,
    /// whitespace around commas removed, trimmed.
    static func normalizedValue(_ name: String, in requestHeaders: some HTTPFieldReading) -> String? {
        let lines = requestHeaders.fieldValues(name)
        guard !lines.isEmpty else {
            return nil
        }
        var result = ""
        var pendingSpace = false
        for character in lines.joined(separator: ",") {
            if FieldParsing.isOWS(character) {
                pendingSpace = true
                continue
            }
            if character == "," {
                result.append(",")
                pendingSpace = false
                continue
            }
            if pendingSpace && !result.isEmpty && result.last != "," {
                result.append(" ")
            }
            pendingSpace = false
            result.append(character)
        }
        return result.split(separator: ",", omittingEmptySubsequences: false)
            .map { FieldParsing.trimOWS($0) }
            .joined(separator: ", ")
    }
}
