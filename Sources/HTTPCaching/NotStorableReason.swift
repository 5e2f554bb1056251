/// Why a response is not stored. The raw value is a short kebab-case token: it becomes the
/// `Cache-Status` detail, a log field and a metric label.
public enum NotStorableReason: String, Sendable, CaseIterable {
    /// The request method is not cacheable here (RFC 9111 §3).
    case method = "method"
    /// The status code is not cacheable for a shared cache in this configuration (RFC 9111 §3).
    case status = "status"
    /// `no-store` in the response (RFC 9111 §5.2.2.5).
    case noStore = "no-store"
    /// `no-store` in the request (RFC 9111 §5.2.1.5).
    case requestNoStore = "request-no-store"
    /// Unqualified `private` (RFC 9111 §5.2.2.7).
    case `private` = "private"
    /// The request has `Authorization` and the response does not allow sharing it (RFC 9111 §3.5).
    case authorization = "authorization"
    /// No explicit freshness, no validator, no `public`, no rule ttl: it could never be reused.
    case noFreshness = "no-freshness"
    /// `Vary: *` (RFC 9111 §4.1).
    case varyStar = "vary-star"
    /// A 206: partial responses are never stored.
    case partialContent = "partial"
    /// 401, 403, 429 or 5xx, not listed by the route's `cache_status_codes`.
    case errorStatus = "error-status"
}
