/// Whether a stored response that matched a request can be used (RFC 9111 §4).
public enum ReuseDecision: Sendable, Equatable {
    /// Fresh: serve it.
    case fresh
    /// Stale, but serving it is allowed (the proxy revalidates in the background for SWR).
    case staleAllowed(StaleReason)
    /// Must be validated with the origin first.
    case revalidate(RevalidateReason)
}

/// Why a stale response may be served. Raw values are kebab-case tokens (logs, metrics).
public enum StaleReason: String, Sendable, CaseIterable {
    /// The client accepts it (`max-stale`, RFC 9111 §5.2.1.2).
    case maxStale = "max-stale"
    /// RFC 5861 §3.
    case staleWhileRevalidate = "stale-while-revalidate"
    /// RFC 5861 §4 (the origin failed).
    case staleIfError = "stale-if-error"
}

/// Why a stored response cannot be served without validation. Raw values are kebab-case tokens.
public enum RevalidateReason: String, Sendable, CaseIterable {
    /// Request `no-cache`, or `Pragma: no-cache` without `Cache-Control` (RFC 9111 §5.2.1.4, §5.4).
    case requestNoCache = "request-no-cache"
    /// The response is older than the request's `max-age` (RFC 9111 §5.2.1.1).
    case requestMaxAge = "request-max-age"
    /// The response will not stay fresh for the request's `min-fresh` (RFC 9111 §5.2.1.3).
    case requestMinFresh = "request-min-fresh"
    /// Response `no-cache` (RFC 9111 §5.2.2.4).
    case responseNoCache = "no-cache"
    /// Stale, and `must-revalidate`, `proxy-revalidate` or `s-maxage` forbid serving it stale.
    case mustRevalidate = "must-revalidate"
    /// Stale, and nothing allows serving it stale (RFC 9111 §4.2.4).
    case stale = "stale"
}
