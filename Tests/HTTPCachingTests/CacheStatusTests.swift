import HTTPCaching
import Testing

struct CacheStatusCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var status: CacheStatus
    var expected: String
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let cacheStatusCases: [CacheStatusCase] = [
    .init(
        id: "status-hit", spec: "RFC 9211 §2.1", status: CacheStatus(hit: true, ttl: 3512),
        expected: "Reprise; hit; ttl=3512"),
    .init(
        id: "status-miss-stored", spec: "RFC 9211 §2.2", status: CacheStatus(forward: .miss, stored: true, ttl: 60),
        expected: "Reprise; fwd=miss; stored; ttl=60"),
    .init(
        id: "status-bypass-detail", spec: "RFC 9211 §2.8",
        status: CacheStatus(forward: .bypass, detail: NotStorableReason.noStore.rawValue),
        expected: "Reprise; fwd=bypass; detail=no-store"),
    .init(
        id: "status-revalidated", spec: "RFC 9211 §2.3",
        status: CacheStatus(forward: .stale, forwardStatus: 304, ttl: 59),
        expected: "Reprise; fwd=stale; fwd-status=304; ttl=59"),
    .init(
        id: "status-vary-miss-collapsed", spec: "RFC 9211 §2.7",
        status: CacheStatus(forward: .varyMiss, collapsed: true), expected: "Reprise; fwd=vary-miss; collapsed"),
    .init(
        id: "status-negative-ttl", spec: "RFC 9211 §2.5", status: CacheStatus(hit: true, ttl: -5),
        expected: "Reprise; hit; ttl=-5"),
    .init(
        id: "status-detail-string", spec: "RFC 8941 §4.1.6",
        status: CacheStatus(forward: .uriMiss, detail: "upstream said \"no\""),
        expected: "Reprise; fwd=uri-miss; detail=\"upstream said \\\"no\\\"\""),
    .init(
        id: "status-detail-starts-with-digit", spec: "RFC 8941 §3.3.4",
        status: CacheStatus(forward: .request, detail: "5xx"), expected: "Reprise; fwd=request; detail=\"5xx\""),
    .init(
        id: "status-cache-name-quoted", spec: "RFC 9211 §2", status: CacheStatus(cacheName: "edge 1", hit: true),
        expected: "\"edge 1\"; hit"),
    .init(
        id: "status-detail-token-chars", spec: "RFC 8941 §3.3.4", status: CacheStatus(forward: .miss, detail: "*a:b/c.d~e"),
        expected: "Reprise; fwd=miss; detail=*a:b/c.d~e"),
    .init(
        id: "status-detail-non-ascii", spec: "RFC 8941 §4.1.6",
        status: CacheStatus(forward: .miss, detail: "caf\u{E9}"), expected: "Reprise; fwd=miss; detail=\"caf?\""),
    .init(
        id: "status-detail-combining", spec: "RFC 8941 §4.1.6",
        status: CacheStatus(forward: .miss, detail: "a\u{301}b"), expected: "Reprise; fwd=miss; detail=\"a?b\""),
    .init(
        id: "status-detail-starts-with-symbol", spec: "RFC 8941 §3.3.4",
        status: CacheStatus(forward: .miss, detail: "[x]"), expected: "Reprise; fwd=miss; detail=\"[x]\""),
    .init(
        id: "status-everything", spec: "RFC 9211 §2",
        status: CacheStatus(hit: false, forward: .stale, forwardStatus: 200, stored: true, collapsed: true, ttl: 7, detail: "disk"),
        expected: "Reprise; fwd=stale; fwd-status=200; stored; collapsed; ttl=7; detail=disk"),
]

@Test(arguments: cacheStatusCases)
func cacheStatusValue(_ testCase: CacheStatusCase) {
    #expect(testCase.status.headerValue == testCase.expected)
}
