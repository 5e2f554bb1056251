/// One member of the `Cache-Status` field (RFC 9211): what Reprise did with a request.
public struct CacheStatus: Sendable, Equatable {
    /// RFC 9211 §2.2: why the request went to the origin.
    public enum ForwardReason: String, Sendable, CaseIterable {
        case bypass
        case method
        case uriMiss = "uri-miss"
        case varyMiss = "vary-miss"
        case miss
        case request
        case stale
        case partial
    }

    public var cacheName: String
    /// RFC 9211 §2.1: served from cache without going to the origin.
    public var hit: Bool
    /// RFC 9211 §2.2.
    public var forward: ForwardReason?
    /// RFC 9211 §2.3: the status the origin answered the forwarded request with.
    public var forwardStatus: Int?
    /// RFC 9211 §2.6: the response was stored.
    public var stored: Bool
    /// RFC 9211 §2.7: the request was collapsed with another one.
    public var collapsed: Bool
    /// RFC 9211 §2.4: remaining freshness in seconds (negative when stale).
    public var ttl: Int?
    /// RFC 9211 §2.8: e.g. a ``NotStorableReason`` raw value.
    public var detail: String?

    public init(
        cacheName: String = "Reprise",
        hit: Bool = false,
        forward: ForwardReason? = nil,
        forwardStatus: Int? = nil,
        stored: Bool = false,
        collapsed: Bool = false,
        ttl: Int? = nil,
        detail: String? = nil
    ) {
        self.cacheName = cacheName
        self.hit = hit
        self.forward = forward
        self.forwardStatus = forwardStatus
        self.stored = stored
        self.collapsed = collapsed
        self.ttl = ttl
        self.detail = detail
    }

    /// The field value, e.g. `Reprise; hit; ttl=3512` or `Reprise; fwd=miss; stored; ttl=60`.
    public var headerValue: String {
        var value = Self.serializeItem(self.cacheName)
        value.reserveCapacity(value.utf8.count + 64 + (self.detail?.utf8.count ?? 0))
        if self.hit {
            value += "; hit"
        }
        if let forward = self.forward {
            value += "; fwd="
            value += forward.rawValue
        }
        if let forwardStatus = self.forwardStatus {
            value += "; fwd-status="
            value += String(forwardStatus)
        }
        if self.stored {
            value += "; stored"
        }
        if self.collapsed {
            value += "; collapsed"
        }
        if let ttl = self.ttl {
            value += "; ttl="
            value += String(ttl)
        }
        if let detail = self.detail {
            value += "; detail="
            value += Self.serializeItem(detail)
        }
        return value
    }

    // MARK: Structured Fields serialization (RFC 8941 §4.1)

    /// A token when the text is a valid sf-token, otherwise an sf-string (non-printable or
    /// non-ASCII characters become `?`).
    static func serializeItem(_ text: String) -> String {
        if Self.isStructuredToken(text) {
            return text
        }
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"", "\\":
                result.append("\\")
                result.unicodeScalars.append(scalar)
            case " "..."~":
                result.unicodeScalars.append(scalar)
            default:
                result.append("?")
            }
        }
        return result + "\""
    }

    /// RFC 8941 §3.3.4: sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" ).
    static func isStructuredToken(_ text: String) -> Bool {
        // By UTF-8 bytes: every character of a token is ASCII, and a byte of a multi-byte sequence fails below.
        var bytes = text.utf8.makeIterator()
        guard let first = bytes.next(),
            first == UInt8(ascii: "*") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first | 0x20)
        else {
            return false
        }
        while let byte = bytes.next() {
            guard FieldParsing.isTokenByte(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "/") else {
                return false
            }
        }
        return true
    }
}
