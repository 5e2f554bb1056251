/// A fixed set of lower-case field names, matched against a field name in any case without building a lower-cased
/// copy of it: names are grouped by length, then compared byte by byte (ASCII letters folded).
struct FieldNameSet: Sendable {
    private let byLength: [Int: [[UInt8]]]

    init(_ names: [String]) {
        var byLength: [Int: [[UInt8]]] = [:]
        for name in Set(names.map { $0.lowercased() }) { byLength[name.utf8.count, default: []].append(Array(name.utf8)) }
        self.byLength = byLength
    }

    func contains(_ name: String) -> Bool {
        guard let candidates = self.byLength[name.utf8.count] else { return false }
        return candidates.contains { Self.equalFolding(name, $0) }
    }

    /// Whether `name` is `Host` in any case (the caller checked its length).
    func isHost(_ name: String) -> Bool {
        Self.equalFolding(name, Self.host)
    }

    private static let host = Array("host".utf8)

    private static func equalFolding(_ name: String, _ lower: [UInt8]) -> Bool {
        var index = 0
        for byte in name.utf8 {
            guard index < lower.count else { return false }
            let folded = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
            guard folded == lower[index] else { return false }
            index += 1
        }
        return index == lower.count
    }
}
