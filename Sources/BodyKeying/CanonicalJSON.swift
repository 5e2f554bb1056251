/// One byte form per JSON value, for hashing request bodies into cache keys.
///
/// Deliberate choices, in one place:
/// - Object members are sorted by the UTF-8 bytes of their names (as RFC 8785 JCS does with UTF-16, but bytes are
///   simpler and just as deterministic). Duplicate names are all kept, in source order among themselves: bodies that
///   differ only in which duplicate comes first get different keys, which can cost a miss but never a wrong hit.
/// - Strings are re-escaped minimally: `"` and `\` as `\"` and `\\`; U+0008, U+0009, U+000A, U+000C, U+000D as
///   `\b \t \n \f \r`; other controls below U+0020 as `\u00xx` (lowercase hex); everything else, `/`, DEL and
///   U+2028 included, as raw UTF-8. No Unicode normalization: `é` and `e` + U+0301 stay different, as upstream sees
///   them.
/// - Numbers are written in `JSONNumber`'s canonical form (already in the parsed value).
/// - No whitespace.
public enum CanonicalJSON {
    /// The canonical bytes of `value`.
    public static func serialize(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        Self.write(value, into: &out)
        return out
    }

    /// `value` without the members (or array elements) named by `pointers` (RFC 6901).
    ///
    /// All pointers refer to the original value, so removing `/a/0` and `/a/1` drops the first two elements.
    /// Pointers that name nothing, the empty pointer (the whole document) and pointers that are not valid RFC 6901
    /// syntax are ignored; a name shared by duplicate members removes all of them.
    public static func removing(_ pointers: [String], from value: JSONValue) -> JSONValue {
        let paths = pointers.compactMap { JSONPointer.tokens($0) }.filter { !$0.isEmpty }
        guard !paths.isEmpty else { return value }
        return Self.remove(paths.map { $0[...] }, from: value)
    }

    /// Whether `pointer` is RFC 6901 syntax naming a member or element: it starts with `/`, and each `~` is
    /// followed by `0` or `1`. The empty pointer (the whole document) is refused: it cannot be removed.
    public static func isValidPointer(_ pointer: String) -> Bool {
        guard let tokens = JSONPointer.tokens(pointer) else { return false }
        return !tokens.isEmpty
    }

    // MARK: - Removal

    /// Removes `paths` (each non-empty) from `value` in one pass.
    private static func remove(_ paths: [ArraySlice<String>], from value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var kept: [(String, JSONValue)] = []
            for (name, member) in members {
                let matching = paths.filter { $0.first!.utf8.elementsEqual(name.utf8) }
                if matching.isEmpty {
                    kept.append((name, member))
                } else if !matching.contains(where: { $0.count == 1 }) {
                    kept.append((name, Self.remove(matching.map { $0.dropFirst() }, from: member)))
                }
            }
            return .object(kept)
        case .array(let elements):
            var kept: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                let matching = paths.filter { JSONPointer.arrayIndex($0.first!) == index }
                if matching.isEmpty {
                    kept.append(element)
                } else if !matching.contains(where: { $0.count == 1 }) {
                    kept.append(Self.remove(matching.map { $0.dropFirst() }, from: element))
                }
            }
            return .array(kept)
        default:
            return value
        }
    }

    // MARK: - Writing

    private static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null:
            out += "null".utf8
        case .bool(let flag):
            out += (flag ? "true" : "false").utf8
        case .number(let text):
            out += text.utf8
        case .string(let text):
            Self.writeString(text, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            // Sort by name bytes; ties (duplicate names) keep their source order.
            let sorted = members.enumerated().sorted { lhs, rhs in
                if lhs.element.0.utf8.elementsEqual(rhs.element.0.utf8) { return lhs.offset < rhs.offset }
                return lhs.element.0.utf8.lexicographicallyPrecedes(rhs.element.0.utf8)
            }
            out.append(UInt8(ascii: "{"))
            for (position, entry) in sorted.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(entry.element.0, into: &out)
                out.append(UInt8(ascii: ":"))
                Self.write(entry.element.1, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x00..<0x20:
                out += "\\u00".utf8
                out += [Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0x0F)]]
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
