import HTTPCaching
import JWTVerification
import Testing

@testable import Observability

/// One typed outcome per request (issue 16, point 4): `Cache-Status`, the access log's `cache` and `detail`, the
/// metric labels and the ledger's billed or saved all come from the same `RequestOutcome`.
@Suite struct RequestOutcomeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let outcome: RequestOutcome
        let cacheStatus: String
        /// The access log's `cache` and `detail` fields.
        let cache: String
        let detail: String
        /// The metric label `reason` (of a bypass), or "-" without a reason.
        let label: String
        let saved: Bool
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(
            name: "plain hit", outcome: RequestOutcome(.hit, ttl: 3512),
            cacheStatus: "Reprise; hit; ttl=3512", cache: "hit", detail: "", label: "-", saved: true
        ),
        Case(
            name: "hit from the shared tier", outcome: RequestOutcome(.hit, reason: .proxy(.l2), ttl: 60),
            cacheStatus: "Reprise; hit; ttl=60; detail=l2", cache: "hit", detail: "l2", label: "l2", saved: true
        ),
        Case(
            name: "hit with the client's no-cache set aside",
            outcome: RequestOutcome(.hit, reason: .proxy(.refreshIgnored), ttl: 5),
            cacheStatus: "Reprise; hit; ttl=5; detail=refresh-ignored", cache: "hit", detail: "refresh-ignored",
            label: "refresh-ignored", saved: true
        ),
        Case(
            name: "miss stored", outcome: RequestOutcome(.miss, forward: .uriMiss, forwardStatus: 200, stored: true, ttl: 60),
            cacheStatus: "Reprise; fwd=uri-miss; fwd-status=200; stored; ttl=60", cache: "miss", detail: "",
            label: "-", saved: false
        ),
        Case(
            name: "miss not stored: RFC 9111 no-store",
            outcome: RequestOutcome(.miss, reason: .notStorable(.noStore), forward: .uriMiss, forwardStatus: 200),
            cacheStatus: "Reprise; fwd=uri-miss; fwd-status=200; detail=no-store", cache: "miss", detail: "no-store",
            label: "no-store", saved: false
        ),
        Case(
            name: "miss not stored: Gemini safety block (a rule's own condition)",
            outcome: RequestOutcome(.miss, reason: .condition("finish-safety"), forward: .uriMiss, forwardStatus: 200),
            cacheStatus: "Reprise; fwd=uri-miss; fwd-status=200; detail=finish-safety", cache: "miss",
            detail: "finish-safety", label: "other", saved: false
        ),
        Case(
            name: "miss not stored: empty speech",
            outcome: RequestOutcome(.miss, reason: .generation(.tooSmall), forward: .uriMiss, forwardStatus: 200),
            cacheStatus: "Reprise; fwd=uri-miss; fwd-status=200; detail=too-small", cache: "miss", detail: "too-small",
            label: "too-small", saved: false
        ),
        Case(
            name: "stale while revalidating",
            outcome: RequestOutcome(.staleUpdating, reason: .proxy(.staleWhileRevalidate), forward: .stale, ttl: -3),
            cacheStatus: "Reprise; fwd=stale; ttl=-3; detail=stale-while-revalidate", cache: "stale-updating",
            detail: "stale-while-revalidate", label: "stale-while-revalidate", saved: true
        ),
        Case(
            name: "stale because the upstream failed",
            outcome: RequestOutcome(.stale, reason: .proxy(.staleIfError), forward: .stale, forwardStatus: 503, ttl: -10),
            cacheStatus: "Reprise; fwd=stale; fwd-status=503; ttl=-10; detail=stale-if-error", cache: "stale",
            detail: "stale-if-error", label: "stale-if-error", saved: true
        ),
        Case(
            name: "revalidated by a 304",
            outcome: RequestOutcome(.revalidated, forward: .stale, forwardStatus: 304, stored: true, ttl: 60),
            cacheStatus: "Reprise; fwd=stale; fwd-status=304; stored; ttl=60", cache: "revalidated", detail: "",
            label: "-", saved: true
        ),
        Case(
            name: "coalesced follower",
            outcome: RequestOutcome(.coalesced, forward: .uriMiss, forwardStatus: 200, collapsed: true),
            cacheStatus: "Reprise; fwd=uri-miss; fwd-status=200; collapsed", cache: "coalesced", detail: "",
            label: "-", saved: true
        ),
        Case(
            name: "bypass: rejected JWT", outcome: RequestOutcome(.bypass, reason: .credential(.expired), forward: .bypass),
            cacheStatus: "Reprise; fwd=bypass; detail=jwt-expired", cache: "bypass", detail: "jwt-expired",
            label: "jwt-expired", saved: false
        ),
        Case(
            name: "bypass: fleet fallback", outcome: RequestOutcome(.bypass, reason: .fleet(.fallback), forward: .bypass),
            cacheStatus: "Reprise; fwd=bypass; detail=fleet-fallback", cache: "bypass", detail: "fleet-fallback",
            label: "fleet-fallback", saved: false
        ),
        Case(
            name: "pass: a write", outcome: RequestOutcome(.pass, forward: .method, forwardStatus: 201),
            cacheStatus: "Reprise; fwd=method; fwd-status=201", cache: "pass", detail: "", label: "-", saved: false
        ),
        Case(
            name: "error: upstream failed under a follower",
            outcome: RequestOutcome(.error, reason: .proxy(.upstreamError), forward: .uriMiss, collapsed: true),
            cacheStatus: "Reprise; fwd=uri-miss; collapsed; detail=upstream-error", cache: "error",
            detail: "upstream-error", label: "upstream-error", saved: false
        ),
        Case(
            name: "follower released: vary mismatch",
            outcome: RequestOutcome(.miss, reason: .follower(.varyMismatch), forward: .uriMiss, forwardStatus: 200),
            cacheStatus: "Reprise; fwd=uri-miss; fwd-status=200; detail=vary-mismatch", cache: "miss",
            detail: "vary-mismatch", label: "vary-mismatch", saved: false
        ),
    ]

    @Test(arguments: Self.cases)
    func everyViewComesFromTheOneValue(_ c: Case) {
        #expect(c.outcome.headerValue == c.cacheStatus)
        var record = RequestRecord()
        record.outcome = c.outcome
        #expect(record.phase.rawValue == c.cache)
        #expect(record.detail == c.detail)
        #expect(AccessLogLine.json(AccessLogLine.fields(of: record)).contains("\"cache\":\"\(c.cache)\""))
        #expect(c.outcome.reason?.metricLabel ?? "-" == c.label)
        #expect(c.outcome.phase.savesTheCall == c.saved)
    }

    @Test func onlyAHitSaysHit() {
        for phase in CachePhase.allCases {
            #expect(RequestOutcome(phase).cacheStatus.hit == (phase == .hit), "\(phase)")
        }
    }

    @Test func everyFixedReasonIsAMetricLabelAndAConditionIsNot() {
        var fixed: [OutcomeReason] = CacheDetail.allCases.map { .proxy($0) }
        fixed += NotStorableReason.allCases.map { .notStorable($0) }
        fixed += JWTRejection.allCases.map { .credential($0) }
        fixed += FollowerRelease.allCases.map { .follower($0) }
        fixed += FleetAlone.allCases.map { .fleet($0) }
        fixed += GenerationCheck.allCases.map { .generation($0) }
        for reason in fixed {
            #expect(reason.metricLabel == reason.token)
            #expect(OutcomeReason.metricLabels.contains(reason.token))
        }
        #expect(OutcomeReason.condition("rule=x y").metricLabel == "other")
        #expect(OutcomeReason.condition("rule=x y").token == "rule=x y")
    }

    @Test func phaseIndexesAreDistinctAndSmall() {
        let indexes = CachePhase.allCases.map(\.index)
        #expect(Set(indexes).count == indexes.count)
        #expect(indexes.allSatisfy { (0..<16).contains($0) })
    }
}
