/// Whether a response may be stored by Reprise, a shared cache (RFC 9111 §3).
public enum Storability: Sendable {
    /// Methods whose responses can be stored without a body-keyed rule.
    static let cacheableMethods: Set<String> = ["GET", "HEAD"]
    /// Methods a body-keyed rule (`cache_body = true`) may store.
    static let bodyKeyedMethods: Set<String> = ["POST", "PUT"]

    /// `nil` when the response may be stored, otherwise the first reason it may not.
    public static func check(
        method: String,
        requestHeaders: some HTTPFieldReading,
        status: Int,
        responseHeaders: some HTTPFieldReading,
        policy: StoragePolicy
    ) -> NotStorableReason? {
        // RFC 9111 §3: the request method is understood and cacheable.
        let methodAllowed =
            Self.cacheableMethods.contains(method) || (policy.bodyKeyed && Self.bodyKeyedMethods.contains(method))
        guard methodAllowed else {
            return .method
        }
        // RFC 9111 §3: the status is final; we never store 206 or answers to conditionals (304).
        if status == 206 {
            return .partialContent
        }
        guard status >= 200, status <= 599, status != 304 else {
            return .status
        }
        let response = CacheControl.effective(responseHeaders: responseHeaders)
        let request = CacheControl(headers: requestHeaders)
        // RFC 9111 §3: no-store in the request or the response.
        if request.noStore {
            return .requestNoStore
        }
        // RFC 9111 §5.2.2.3: must-understand lets a cache ignore no-store for a status it understands.
        if response.noStore && !(response.mustUnderstand && StatusCodes.understood.contains(status)) {
            return .noStore
        }
        // RFC 9111 §3, §5.2.2.7: a shared cache does not store a private response.
        if response.isPrivate {
            return .private
        }
        // RFC 9111 §3.5: Authorization only with public, s-maxage or must-revalidate.
        if requestHeaders.hasField("authorization")
            && !(response.isPublic || response.sMaxAge != nil || response.mustRevalidate)
        {
            return .authorization
        }
        // RFC 9111 §4.1: Vary: * never matches.
        if VaryKey.containsStar(responseHeaders.fieldValues("vary")) {
            return .varyStar
        }
        let hasExpires = responseHeaders.hasField("expires")
        let hasExplicitFreshness = response.hasExplicitFreshness || hasExpires
        if let reason = Self.checkStatus(
            status,
            explicit: hasExplicitFreshness || response.isPublic,
            explicitFreshness: hasExplicitFreshness && !policy.ttlOverride,
            policy: policy
        ) {
            return reason
        }
        // RFC 9111 §3: explicit freshness, a validator (it can be revalidated), public, or a rule ttl.
        let hasValidator = responseHeaders.hasField("etag") || responseHeaders.hasField("last-modified")
        guard hasExplicitFreshness || hasValidator || response.isPublic || policy.ruleTTL != nil else {
            return .noFreshness
        }
        return nil
    }

    /// RFC 9111 §3: a heuristically cacheable status, or explicit freshness / public; a rule's
    /// `cache_status_codes` replaces all of this.
    private static func checkStatus(
        _ status: Int,
        explicit: Bool,
        explicitFreshness: Bool,
        policy: StoragePolicy
    ) -> NotStorableReason? {
        if let allowed = policy.cacheableStatusCodes {
            guard allowed.contains(status) else {
                return StatusCodes.isErrorNeverStoredByDefault(status) ? .errorStatus : .status
            }
            return nil
        }
        // 401, 403, 429 and 5xx: never on the strength of a rule's ttl or a heuristic; only when the upstream
        // itself gives explicit freshness (RFC 9111 §3 allows it), or a rule lists the status.
        if StatusCodes.isErrorNeverStoredByDefault(status) {
            return explicitFreshness ? nil : .errorStatus
        }
        if StatusCodes.heuristicallyCacheable.contains(status) || explicit {
            return nil
        }
        return .status
    }
}
