import HTTPCaching
import JWTVerification

/// How the cache answered a request (Pingora's phases, plus the ones a proxy with coalescing and its own answers
/// needs). The raw value is the access log's `cache` field and the metric label `cache`.
public enum CachePhase: String, Sendable, CaseIterable {
    /// Answered from the store (fresh, or a stale response the client accepted).
    case hit
    /// Answered from the store after the upstream confirmed it (304).
    case revalidated
    /// A stale response served because the upstream failed (stale-if-error).
    case stale
    /// A stale response served while a background fetch refreshes it (stale-while-revalidate).
    case staleUpdating = "stale-updating"
    /// Answered from another request's upstream fetch (coalescing).
    case coalesced
    /// Fetched upstream on a miss (stored or not).
    case miss
    /// Forwarded without consulting the cache (rule, request no-store, body too large, no credential).
    case bypass
    /// An unsafe method (a write), forwarded untouched.
    case pass
    /// Reprise answered with an error of its own (400, 404, 413, 431, 502, 504, ...).
    case error
    /// The response did not complete: the client left, or the connection was cut (`bytes` says how far it got).
    case aborted
    /// Reprise answered itself as the final recipient (an OPTIONS or TRACE with `Max-Forwards: 0`, `OPTIONS *`).
    case local

    /// A small number per case (metrics keys).
    public var index: Int {
        switch self {
        case .hit: return 0
        case .revalidated: return 1
        case .stale: return 2
        case .coalesced: return 3
        case .miss: return 4
        case .bypass: return 5
        case .pass: return 6
        case .error: return 7
        case .aborted: return 8
        case .local: return 9
        case .staleUpdating: return 10
        }
    }

    /// Answered with a generation already paid for (stored, or another request's fetch): the call's cost is counted
    /// as saved, not billed. A revalidated answer is saved too: the upstream only confirmed the stored one (304).
    public var savesTheCall: Bool {
        switch self {
        case .hit, .revalidated, .stale, .staleUpdating, .coalesced: return true
        case .miss, .bypass, .pass, .error, .aborted, .local: return false
        }
    }
}

/// Why a response was not stored, not served from the store as it is, or not completed: one typed value for every
/// reason there is. Its `token` is the `Cache-Status` detail and the access log's `detail`; `metricLabel` the
/// bounded metric label.
public enum OutcomeReason: Sendable, Hashable {
    case proxy(CacheDetail)
    /// RFC 9111 §3 and §5.2.1.5.
    case notStorable(NotStorableReason)
    /// A JWT that names no partition.
    case credential(JWTRejection)
    case follower(FollowerRelease)
    case fleet(FleetAlone)
    case generation(GenerationCheck)
    /// A rule's own `store_if_*` JSON condition failed: its configured `detail`.
    case condition(String)

    public var token: String {
        switch self {
        case .proxy(let detail): return detail.rawValue
        case .notStorable(let reason): return reason.rawValue
        case .credential(let rejection): return rejection.rawValue
        case .follower(let release): return release.rawValue
        case .fleet(let alone): return alone.rawValue
        case .generation(let check): return check.rawValue
        case .condition(let detail): return detail
        }
    }

    /// The metric label: the token, except a configured condition's detail, which is "other" (labels stay a fixed set).
    public var metricLabel: String {
        if case .condition = self { return "other" }
        return self.token
    }

    /// Every label `metricLabel` can give.
    public static let metricLabels: Set<String> = Set(CacheDetail.allCases.map(\.rawValue))
        .union(NotStorableReason.allCases.map(\.rawValue))
        .union(JWTRejection.allCases.map(\.rawValue))
        .union(FollowerRelease.allCases.map(\.rawValue))
        .union(FleetAlone.allCases.map(\.rawValue))
        .union(GenerationCheck.allCases.map(\.rawValue))
        .union(["other"])
}

/// What became of one request, as one value: the phase, the reason, and the facts `Cache-Status` reports
/// (RFC 9211). `Cache-Status`, the access log's `cache` and `detail`, the metric labels and the ledger's billed or
/// saved are all read from it.
public struct RequestOutcome: Sendable, Equatable {
    public var phase: CachePhase
    public var reason: OutcomeReason?
    /// RFC 9211 §2.2: why the request went to the origin.
    public var forward: CacheStatus.ForwardReason?
    /// RFC 9211 §2.3.
    public var forwardStatus: Int?
    /// RFC 9211 §2.6: the response was stored.
    public var stored: Bool
    /// RFC 9211 §2.7: answered from another request's fetch.
    public var collapsed: Bool
    /// RFC 9211 §2.4: remaining freshness in seconds.
    public var ttl: Int?

    public init(
        _ phase: CachePhase,
        reason: OutcomeReason? = nil,
        forward: CacheStatus.ForwardReason? = nil,
        forwardStatus: Int? = nil,
        stored: Bool = false,
        collapsed: Bool = false,
        ttl: Int? = nil
    ) {
        self.phase = phase
        self.reason = reason
        self.forward = forward
        self.forwardStatus = forwardStatus
        self.stored = stored
        self.collapsed = collapsed
        self.ttl = ttl
    }

    /// RFC 9211 §2.1: `hit` means served from the store without going to the origin. A stale-while-revalidate
    /// answer is reported as `fwd=stale` (its refresh goes to the origin), a stale-if-error one as the forward that
    /// failed.
    public var cacheStatus: CacheStatus {
        CacheStatus(
            hit: self.phase == .hit,
            forward: self.forward,
            forwardStatus: self.forwardStatus,
            stored: self.stored,
            collapsed: self.collapsed,
            ttl: self.ttl,
            detail: self.reason?.token
        )
    }

    /// The `Cache-Status` field value.
    public var headerValue: String { self.cacheStatus.headerValue }

    /// The access log's `detail` ("" when there is no reason).
    public var detail: String { self.reason?.token ?? "" }
}
