/// The reasons Reprise itself gives (issue 16, point 4): every bare literal the request flow used is a case here.
/// With RFC 9111's `NotStorableReason`, `JWTRejection`, `FollowerRelease`, `FleetAlone` and `GenerationCheck` they
/// make `OutcomeReason`, from which the `Cache-Status` detail, the access log's `detail` and the metric label `reason`
/// are derived.
public enum CacheDetail: String, CaseIterable, Sendable {
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
    /// Answered by the disk tier.
    case disk
    /// Answered by the fleet's shared tier (Redis).
    case l2
    // Aborted requests (access log only).
    case clientClosed = "client-closed"

    /// The detail of a lower tier's answer, by the tier's name (`l2`, `disk`): compared directly, not through the
    /// string switch of `init(rawValue:)`, which showed in an L2 hit's profile.
    public static func tier(named name: String) -> CacheDetail? {
        if name == "l2" { return .l2 }
        if name == "disk" { return .disk }
        return CacheDetail(rawValue: name)
    }
}

/// Why a follower of a coalesced fetch fetches for itself after all.
public enum FollowerRelease: String, Sendable, CaseIterable {
    /// The leader's response is not storable (or has `Vary: *`).
    case notStorable = "not-storable"
    /// The response varies on a request field whose value differs in this follower's request.
    case varyMismatch = "vary-mismatch"
    /// The leader gave up before a head arrived (its client left, or it served a stale entry instead of a 5xx).
    case leaderFailed = "leader-failed"
    /// No head arrived within the follower's wait.
    case timeout = "timeout"
    /// The follower arrived after the body outgrew the replay limit: the start of the body is gone.
    case tooLarge = "too-large"
    /// The leader was answered from L2 with another instance's fetch (fleet mode), now promoted to L1: look the
    /// key up again.
    case storedByFleet = "fleet"
}

/// Why a request in fleet mode fetches without the fleet's claim on its key.
public enum FleetAlone: String, Sendable, CaseIterable {
    /// The leader's response cannot be shared through L2 (`detail=fleet-pass`).
    case pass = "fleet-pass"
    /// Redis is down, slow or unsubscribed: this instance coalesces alone.
    case fallback = "fleet-fallback"
    /// `coalesce_timeout` passed while waiting for the other instance (`detail=timeout`).
    case timeout = "timeout"
}

/// The built-in `store_if_*` checks a generation can fail (a failed JSON condition gives its own `detail`).
public enum GenerationCheck: String, Sendable, CaseIterable {
    /// The `Content-Type` is missing or not one of `store_if_content_type`.
    case contentType = "content-type"
    /// The body is shorter than `store_if_min_size` (an empty 200).
    case tooSmall = "too-small"
    /// `store_if_json` applies, but the body is not JSON (or an empty JSON array).
    case notJSON = "not-json"
    /// `store_if_last_event` applies, but the stream has no complete event whose data is JSON.
    case noFinalEvent = "no-final-event"
}
