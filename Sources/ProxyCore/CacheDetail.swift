import HTTPCaching
import JWTVerification

/// The `Cache-Status` detail tokens that Reprise sets itself (issue 16, point 4): every bare literal the request
/// flow used is a case here, so the detail in `Cache-Status`, the access log's `detail` and the metric label
/// `reason` all come from one typed list. Together with `NotStorableReason` (RFC 9111 storability),
/// `JWTRejection`, `CoalescedFetch.ReleaseReason` and `GenerationJudge.Reason` (`store_if_*`), these are all the
/// details there are, plus the `detail` a rule's own `store_if_json` condition names.
enum CacheDetail: String, CaseIterable, Sendable {
    // Set before forwarding.
    case rule
    case noCredential = "no-credential"
    case bodyTooLarge = "body-too-large"
    case hitForPass = "hit-for-pass"
    case requestBody = "request-body"
    case onlyIfCached = "only-if-cached"
    // Set on the upstream's answer.
    case conditionalRequest = "conditional-request"
    case refreshOwn = "refresh-own"
    case tooLarge = "too-large"
    case upstreamError = "upstream-error"
    // How a stored answer was used.
    case refreshIgnored = "refresh-ignored"
    case staleWhileRevalidate = "stale-while-revalidate"
    case staleIfError = "stale-if-error"
    case l2
    // Aborted requests (access log only).
    case clientClosed = "client-closed"

    /// Every detail token whose set is fixed (the metric label `reason` takes these, and "other").
    static let fixedTokens: Set<String> = Set(Self.allCases.map(\.rawValue))
        .union(NotStorableReason.allCases.map(\.rawValue))
        .union(JWTRejection.allCases.map(\.rawValue))
        .union(CoalescedFetch.ReleaseReason.allCases.map(\.rawValue))
        .union(GenerationJudge.Reason.all)
}
