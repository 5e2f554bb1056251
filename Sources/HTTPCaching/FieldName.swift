/// Field names compared as HTTP compares them (RFC 9110 §5.1: case-insensitive), without a lower-cased copy.
public enum FieldName {
    /// Whether `name` is `lowercase` (a lower-case name) in any ASCII case.
    @inlinable
    public static func equals(_ name: String, _ lowercase: String) -> Bool {
        guard name.utf8.count == lowercase.utf8.count else { return false }
        var expected = lowercase.utf8.makeIterator()
        for byte in name.utf8 {
            let folded = byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
            guard folded == expected.next() else { return false }
        }
        return true
    }
}
