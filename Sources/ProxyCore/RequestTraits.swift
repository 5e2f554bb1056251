import NIOHTTP1

/// What the cache flow needs to know about a request's fields, read in one pass over them (the hit path then
/// skips the RFC parsers entirely for a plain GET).
struct RequestTraits {
    var hasDirectives = false
    var hasConditional = false
    var hasRange = false
    /// `Reprise-Cache-TTL` or `Reprise-Cache-Namespace` (see `ClientControls`).
    var hasClientControls = false
    /// The `Host` field's value (the parser allows at most one).
    var host: String?

    init(_ headers: HTTPHeaders) {
        for (name, value) in headers {
            guard let first = name.utf8.first else { continue }
            switch first | 0x20 {
            case UInt8(ascii: "h"):
                if name.utf8.count == 4, Self.isHost(name) { self.host = value }
            case UInt8(ascii: "c"):
                if name.utf8.count == 13, name.lowercased() == "cache-control" { self.hasDirectives = true }
            case UInt8(ascii: "p"):
                if name.utf8.count == 6, name.lowercased() == "pragma" { self.hasDirectives = true }
            case UInt8(ascii: "i"):
                switch name.lowercased() {
                case "if-none-match", "if-modified-since", "if-match", "if-unmodified-since": self.hasConditional = true
                case "if-range": self.hasRange = true
                default: break
                }
            case UInt8(ascii: "r"):
                switch name.utf8.count {
                case 5:
                    if name.lowercased() == "range" { self.hasRange = true }
                case 17, 23:
                    let lowercased = name.lowercased()
                    if lowercased == ClientControls.ttlField || lowercased == ClientControls.namespaceField {
                        self.hasClientControls = true
                    }
                default:
                    break
                }
            default:
                break
            }
        }
    }

    /// The request fields a cache replaces with its own validators when it revalidates a stored response.
    static let conditionalFields = ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"]

    /// `name` (4 bytes) is `Host` in any ASCII case.
    static func isHost(_ name: String) -> Bool {
        var iterator = name.utf8.makeIterator()
        return iterator.next().map({ $0 | 0x20 }) == UInt8(ascii: "h") && iterator.next().map({ $0 | 0x20 }) == UInt8(ascii: "o")
            && iterator.next().map({ $0 | 0x20 }) == UInt8(ascii: "s") && iterator.next().map({ $0 | 0x20 }) == UInt8(ascii: "t")
    }
}
