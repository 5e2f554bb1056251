/// Whether a stored response may answer a request (RFC 9111 §4, §4.2.4, §5.2.1; RFC 5861).
///
/// The cache key and Vary (``VaryKey``) have already matched; this decides about freshness.
public enum Reuse: Sendable {
    public static func decide(
        requestHeaders: some HTTPFieldReading,
        stored: StoredResponseInfo,
        now: Double,
        defaults: StaleDefaults = .none
    ) -> ReuseDecision {
        let request = Self.requestCacheControl(requestHeaders)
        let response = stored.cacheControl
        // RFC 9111 §5.2.1.4, §5.4: the client wants a validated response.
        if request.noCache {
            return .revalidate(.requestNoCache)
        }
        // RFC 9111 §4, §5.2.2.4: a no-cache response is always validated.
        if response.noCache {
            return .revalidate(.responseNoCache)
        }
        let age = stored.freshness.currentAge(now: now)
        let timeToLive = stored.freshness.lifetime - age
        // RFC 9111 §5.2.1.1: the client does not want a response older than max-age.
        if let maxAge = request.maxAge, age > Double(maxAge) {
            return .revalidate(.requestMaxAge)
        }
        if timeToLive > 0 {
            // RFC 9111 §5.2.1.3: the response must stay fresh for at least min-fresh.
            if let minFresh = request.minFresh, timeToLive < Double(minFresh) {
                return .revalidate(.requestMinFresh)
            }
            return .fresh
        }
        let staleness = -timeToLive
        // RFC 9111 §4.2.4: must-revalidate, proxy-revalidate and s-maxage forbid stale serving...
        if response.mustRevalidate || response.proxyRevalidate {
            return .revalidate(.mustRevalidate)
        }
        // RFC 5861 §3: ... except that an explicit stale-while-revalidate with s-maxage is honoured
        // (see Leniencies).
        if let window = response.staleWhileRevalidate, staleness <= Double(window) {
            return .staleAllowed(.staleWhileRevalidate)
        }
        if response.sMaxAge != nil {
            return .revalidate(.mustRevalidate)
        }
        // RFC 9111 §5.2.1.2: the client accepts a stale response.
        switch request.maxStale {
        case .unlimited:
            return .staleAllowed(.maxStale)
        case .seconds(let limit) where staleness <= Double(limit):
            return .staleAllowed(.maxStale)
        default:
            break
        }
        if response.staleWhileRevalidate == nil, let window = defaults.staleWhileRevalidate, staleness <= window {
            return .staleAllowed(.staleWhileRevalidate)
        }
        return .revalidate(.stale)
    }

    /// RFC 5861 §4: whether a stale response may be served because the origin failed (an error
    /// status or no answer). A request `stale-if-error` takes precedence over the response's,
    /// which takes precedence over `defaults`. Never when the response forbids stale serving.
    public static func canServeStaleOnError(
        requestHeaders: some HTTPFieldReading,
        stored: StoredResponseInfo,
        now: Double,
        defaults: StaleDefaults = .none
    ) -> Bool {
        let response = stored.cacheControl
        let timeToLive = stored.freshness.timeToLive(now: now)
        if timeToLive > 0 && !response.noCache {
            return true
        }
        // RFC 9111 §4.2.4: no stale response against an explicit in-protocol directive.
        if response.mustRevalidate || response.proxyRevalidate || response.noCache {
            return false
        }
        // s-maxage implies proxy-revalidate; only the response's own stale-if-error overrides it.
        if response.sMaxAge != nil && response.staleIfError == nil {
            return false
        }
        let request = Self.requestCacheControl(requestHeaders)
        let window = request.staleIfError.map(Double.init) ?? response.staleIfError.map(Double.init)
            ?? defaults.staleIfError
        guard let window else {
            return false
        }
        return -timeToLive <= window
    }

    /// RFC 9111 §5.4: `Pragma: no-cache` counts as `Cache-Control: no-cache` only when the request
    /// has no `Cache-Control`.
    static func requestCacheControl(_ requestHeaders: some HTTPFieldReading) -> CacheControl {
        let lines = requestHeaders.fieldValues("cache-control")
        if lines.isEmpty {
            let pragma = FieldParsing.listElements(requestHeaders.fieldValues("pragma"))
            var cacheControl = CacheControl()
            cacheControl.noCache = pragma.contains { $0.lowercased() == "no-cache" }
            return cacheControl
        }
        return CacheControl(fieldValues: lines)
    }
}
