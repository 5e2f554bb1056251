import HTTPCaching

/// A fixed set of lower-case field names, matched against a field name in any case without building a lower-cased
/// copy of it: names are grouped by length, then compared with `FieldName.equals`.
struct FieldNameSet: Sendable {
    /// Names by length: index n holds the names n bytes long (an array, not a dictionary: no hashing per lookup).
    private let byLength: [[String]]

    init(_ names: [String]) {
        let unique = Set(names.map { $0.lowercased() })
        var byLength = [[String]](repeating: [], count: (unique.map(\.utf8.count).max() ?? 0) + 1)
        for name in unique.sorted() { byLength[name.utf8.count].append(name) }
        self.byLength = byLength
    }

    func contains(_ name: String) -> Bool {
        let length = name.utf8.count
        guard length < self.byLength.count else { return false }
        for candidate in self.byLength[length] where FieldName.equals(name, candidate) { return true }
        return false
    }
}
