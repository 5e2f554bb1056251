import HTTPCaching

/// A fixed set of lower-case field names, matched against a field name in any case without building a lower-cased
/// copy of it: names are grouped by length, then compared with `FieldName.equals`.
struct FieldNameSet: Sendable {
    private let byLength: [Int: [String]]

    init(_ names: [String]) {
        var byLength: [Int: [String]] = [:]
        for name in Set(names.map { $0.lowercased() }) { byLength[name.utf8.count, default: []].append(name) }
        self.byLength = byLength
    }

    func contains(_ name: String) -> Bool {
        guard let candidates = self.byLength[name.utf8.count] else { return false }
        return candidates.contains { FieldName.equals(name, $0) }
    }
}
