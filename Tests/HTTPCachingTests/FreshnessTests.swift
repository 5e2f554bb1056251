import HTTPCaching
import Testing

struct FreshnessCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var status: Int = 200
    var requestDelay: Double = 0  // the response arrives at t0, the request left at t0 - requestDelay
    var response: [String]
    var policy: StoragePolicy = .default
    var lifetime: Double
    var source: Freshness.Source
    var initialAge: Double = 0
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let freshnessCases: [FreshnessCase] = [
    .init(
        id: "fresh-max-age", spec: "RFC 9111 §4.2.1", response: ["Cache-Control: max-age=60"],
        lifetime: 60, source: .maxAge),
    .init(
        id: "fresh-s-maxage-wins", spec: "RFC 9111 §4.2.1", response: ["Cache-Control: max-age=60, s-maxage=5"],
        lifetime: 5, source: .sharedMaxAge),
    .init(
        id: "fresh-max-age-beats-expires", spec: "RFC 9111 §5.3",
        response: ["Expires: \(httpDate(1000))", "Cache-Control: max-age=60", "Date: \(httpDate(0))"],
        lifetime: 60, source: .maxAge),
    .init(
        id: "fresh-expires-minus-date", spec: "RFC 9111 §4.2.1",
        response: ["Date: \(httpDate(-10))", "Expires: \(httpDate(90))"], lifetime: 100, source: .expires,
        initialAge: 10),
    .init(
        id: "fresh-expires-no-date", spec: "RFC 9111 §4.2.1", response: ["Expires: \(httpDate(90))"],
        lifetime: 90, source: .expires),
    .init(id: "fresh-expires-invalid", spec: "RFC 9111 §5.3", response: ["Expires: 0"], lifetime: 0, source: .expires),
    .init(
        id: "fresh-expires-past", spec: "RFC 9111 §5.3", response: ["Expires: \(httpDate(-90))"],
        lifetime: 0, source: .expires),
    .init(
        id: "fresh-expires-conflicting-lines", spec: "Leniencies",
        response: ["Expires: \(httpDate(90))", "Expires: \(httpDate(900))"], lifetime: 0, source: .expires),
    .init(
        id: "fresh-max-age-invalid-stale", spec: "Leniencies",
        response: ["Cache-Control: max-age=-1", "Expires: \(httpDate(90))"], lifetime: 0, source: .maxAge),
    .init(
        id: "fresh-max-age-overflow", spec: "RFC 9111 §1.2.2", response: ["Cache-Control: max-age=9999999999999"],
        lifetime: 2_147_483_648, source: .maxAge),
    .init(
        id: "fresh-rule-ttl", spec: "config ttl", response: ["Last-Modified: \(httpDate(-100_000))"],
        policy: StoragePolicy(ruleTTL: 3600), lifetime: 3600, source: .rule),
    .init(
        id: "fresh-rule-after-upstream", spec: "config ttl", response: ["Cache-Control: max-age=60"],
        policy: StoragePolicy(ruleTTL: 3600), lifetime: 60, source: .maxAge),
    .init(
        id: "fresh-rule-override", spec: "config ttl_override", response: ["Cache-Control: max-age=60"],
        policy: StoragePolicy(ruleTTL: 3600, ttlOverride: true), lifetime: 3600, source: .rule),
    .init(
        id: "fresh-heuristic", spec: "RFC 9111 §4.2.2",
        response: ["Date: \(httpDate(0))", "Last-Modified: \(httpDate(-1000))"], lifetime: 100, source: .heuristic),
    .init(
        id: "fresh-heuristic-capped", spec: "RFC 9111 §4.2.2",
        response: ["Last-Modified: \(httpDate(-10_000_000))"], lifetime: 86_400, source: .heuristic),
    .init(
        id: "fresh-heuristic-not-for-302", spec: "RFC 9111 §4.2.2", status: 302,
        response: ["Last-Modified: \(httpDate(-1000))"], lifetime: 0, source: .none),
    .init(
        id: "fresh-heuristic-public-302", spec: "RFC 9111 §4.2.2", status: 302,
        response: ["Cache-Control: public", "Last-Modified: \(httpDate(-1000))"], lifetime: 100, source: .heuristic),
    .init(id: "fresh-none", spec: "RFC 9111 §4.2", response: ["ETag: \"x\""], lifetime: 0, source: .none),
    .init(
        id: "fresh-targeted", spec: "RFC 9213 §2.2",
        response: ["Cache-Control: max-age=5", "CDN-Cache-Control: max-age=500"], lifetime: 500, source: .maxAge),
    // Age (RFC 9111 §4.2.3)
    .init(
        id: "age-header", spec: "RFC 9111 §4.2.3", response: ["Cache-Control: max-age=60", "Age: 20"],
        lifetime: 60, source: .maxAge, initialAge: 20),
    .init(
        id: "age-plus-response-delay", spec: "RFC 9111 §4.2.3", requestDelay: 3,
        response: ["Cache-Control: max-age=60", "Age: 20"], lifetime: 60, source: .maxAge, initialAge: 23),
    .init(
        id: "age-apparent-wins", spec: "RFC 9111 §4.2.3",
        response: ["Cache-Control: max-age=60", "Age: 5", "Date: \(httpDate(-30))"], lifetime: 60, source: .maxAge,
        initialAge: 30),
    .init(
        id: "age-future-date", spec: "RFC 9111 §4.2.3",
        response: ["Cache-Control: max-age=60", "Date: \(httpDate(30))"],
        lifetime: 60, source: .maxAge, initialAge: 0),
    .init(
        id: "age-negative-ignored", spec: "RFC 9111 §5.1", response: ["Cache-Control: max-age=60", "Age: -10"],
        lifetime: 60, source: .maxAge, initialAge: 0),
    .init(
        id: "age-fractional-ignored", spec: "RFC 9111 §5.1", response: ["Cache-Control: max-age=60", "Age: 1.5"],
        lifetime: 60, source: .maxAge, initialAge: 0),
    .init(
        id: "age-non-numeric-ignored", spec: "RFC 9111 §5.1", response: ["Cache-Control: max-age=60", "Age: abc"],
        lifetime: 60, source: .maxAge, initialAge: 0),
    .init(
        id: "age-overflow-clamped", spec: "RFC 9111 §1.2.2",
        response: ["Cache-Control: max-age=60", "Age: 999999999999999"], lifetime: 60, source: .maxAge,
        initialAge: 2_147_483_648),
    .init(
        id: "age-repeated-first-line", spec: "RFC 9111 §5.1",
        response: ["Cache-Control: max-age=60", "Age: 5", "Age: 40, x"], lifetime: 60, source: .maxAge,
        initialAge: 5),
    .init(
        id: "age-list-first-element", spec: "RFC 9111 §5.1",
        response: ["Cache-Control: max-age=60", "Age: 0, 7200"], lifetime: 60, source: .maxAge, initialAge: 0),
    .init(
        id: "age-parameter-dropped", spec: "Leniencies",
        response: ["Cache-Control: max-age=60", "Age: 30;foo=bar"], lifetime: 60, source: .maxAge, initialAge: 30),
    .init(
        id: "date-invalid-ignored", spec: "RFC 9110 §6.6.1",
        response: ["Cache-Control: max-age=60", "Date: yesterday"],
        lifetime: 60, source: .maxAge, initialAge: 0),
]

@Test(arguments: freshnessCases)
func freshnessComputation(_ testCase: FreshnessCase) {
    let freshness = Freshness.compute(
        requestTime: t0 - testCase.requestDelay,
        responseTime: t0,
        status: testCase.status,
        responseHeaders: fields(testCase.response),
        policy: testCase.policy
    )
    #expect(freshness.lifetime == testCase.lifetime)
    #expect(freshness.source == testCase.source)
    #expect(freshness.correctedInitialAge == testCase.initialAge)
    #expect(freshness.responseTime == t0)
}

@Test func freshnessOverTime() {
    let freshness = Freshness(lifetime: 60, source: .maxAge, correctedInitialAge: 10, responseTime: t0)
    #expect(freshness.currentAge(now: t0) == 10)
    #expect(freshness.currentAge(now: t0 + 20.5) == 30.5)
    #expect(freshness.ageHeaderValue(now: t0 + 20.5) == 30)
    #expect(freshness.isFresh(now: t0 + 49.9))
    #expect(!freshness.isFresh(now: t0 + 50))  // RFC 9111 §4.2: fresh only while lifetime > age
    #expect(freshness.timeToLive(now: t0 + 60) == -10)
    #expect(freshness.ttlSeconds(now: t0 + 60.5) == -10)
    #expect(freshness.currentAge(now: t0 - 100) == 10)  // a clock going back does not shrink the age
    let ancient = Freshness(lifetime: 0, source: .none, correctedInitialAge: 3e10, responseTime: t0)
    #expect(ancient.ageHeaderValue(now: t0) == 2_147_483_648)
}
