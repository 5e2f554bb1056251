import HTTPCaching
import Testing

struct ReuseCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var request: [String] = []
    var response: [String]
    var age: Double  // seconds since the response was received at t0
    var defaults: StaleDefaults = .none
    var expected: ReuseDecision
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let reuseCases: [ReuseCase] = [
    .init(id: "reuse-fresh", spec: "RFC 9111 §4.2", response: ["Cache-Control: max-age=60"], age: 30, expected: .fresh),
    .init(
        id: "reuse-stale", spec: "RFC 9111 §4.2.4", response: ["Cache-Control: max-age=60"], age: 60,
        expected: .revalidate(.stale)),
    .init(
        id: "reuse-age-header-counts", spec: "RFC 9111 §4.2.3", response: ["Cache-Control: max-age=60", "Age: 50"],
        age: 15, expected: .revalidate(.stale)),
    .init(
        id: "reuse-request-no-cache", spec: "RFC 9111 §5.2.1.4", request: ["Cache-Control: no-cache"],
        response: ["Cache-Control: max-age=60"], age: 1, expected: .revalidate(.requestNoCache)),
    .init(
        id: "reuse-pragma-no-cache", spec: "RFC 9111 §5.4", request: ["Pragma: no-cache"],
        response: ["Cache-Control: max-age=60"], age: 1, expected: .revalidate(.requestNoCache)),
    .init(
        id: "reuse-pragma-ignored-with-cc", spec: "RFC 9111 §5.4",
        request: ["Pragma: no-cache", "Cache-Control: max-stale"],
        response: ["Cache-Control: max-age=60"], age: 1, expected: .fresh),
    .init(
        id: "reuse-response-no-cache", spec: "RFC 9111 §5.2.2.4", response: ["Cache-Control: no-cache, max-age=60"],
        age: 1, expected: .revalidate(.responseNoCache)),
    .init(
        id: "reuse-response-no-cache-qualified", spec: "RFC 9111 §5.2.2.4",
        response: ["Cache-Control: no-cache=\"set-cookie\", max-age=60"], age: 1, expected: .fresh),
    .init(
        id: "reuse-request-max-age", spec: "RFC 9111 §5.2.1.1", request: ["Cache-Control: max-age=10"],
        response: ["Cache-Control: max-age=60"], age: 11, expected: .revalidate(.requestMaxAge)),
    .init(
        id: "reuse-request-max-age-equal", spec: "RFC 9111 §5.2.1.1", request: ["Cache-Control: max-age=10"],
        response: ["Cache-Control: max-age=60"], age: 10, expected: .fresh),
    .init(
        id: "reuse-request-max-age-0", spec: "RFC 9111 §5.2.1.1", request: ["Cache-Control: max-age=0"],
        response: ["Cache-Control: max-age=60"], age: 1, expected: .revalidate(.requestMaxAge)),
    .init(
        id: "reuse-min-fresh", spec: "RFC 9111 §5.2.1.3", request: ["Cache-Control: min-fresh=30"],
        response: ["Cache-Control: max-age=60"], age: 40, expected: .revalidate(.requestMinFresh)),
    .init(
        id: "reuse-min-fresh-ok", spec: "RFC 9111 §5.2.1.3", request: ["Cache-Control: min-fresh=30"],
        response: ["Cache-Control: max-age=60"], age: 30, expected: .fresh),
    .init(
        id: "reuse-max-stale-unlimited", spec: "RFC 9111 §5.2.1.2", request: ["Cache-Control: max-stale"],
        response: ["Cache-Control: max-age=60"], age: 10_000, expected: .staleAllowed(.maxStale)),
    .init(
        id: "reuse-max-stale-within", spec: "RFC 9111 §5.2.1.2", request: ["Cache-Control: max-stale=30"],
        response: ["Cache-Control: max-age=60"], age: 90, expected: .staleAllowed(.maxStale)),
    .init(
        id: "reuse-max-stale-beyond", spec: "RFC 9111 §5.2.1.2", request: ["Cache-Control: max-stale=30"],
        response: ["Cache-Control: max-age=60"], age: 91, expected: .revalidate(.stale)),
    .init(
        id: "reuse-max-stale-must-revalidate", spec: "RFC 9111 §5.2.2.2", request: ["Cache-Control: max-stale"],
        response: ["Cache-Control: max-age=60, must-revalidate"], age: 61, expected: .revalidate(.mustRevalidate)),
    .init(
        id: "reuse-max-stale-proxy-revalidate", spec: "RFC 9111 §5.2.2.8", request: ["Cache-Control: max-stale"],
        response: ["Cache-Control: max-age=60, proxy-revalidate"], age: 61, expected: .revalidate(.mustRevalidate)),
    .init(
        id: "reuse-max-stale-s-maxage", spec: "RFC 9111 §5.2.2.10", request: ["Cache-Control: max-stale"],
        response: ["Cache-Control: s-maxage=60"], age: 61, expected: .revalidate(.mustRevalidate)),
    .init(
        id: "reuse-max-stale-no-cache", spec: "RFC 9111 §5.2.2.4", request: ["Cache-Control: max-stale"],
        response: ["Cache-Control: no-cache"], age: 61, expected: .revalidate(.responseNoCache)),
    .init(
        id: "reuse-swr-within", spec: "RFC 5861 §3", response: ["Cache-Control: max-age=60, stale-while-revalidate=30"],
        age: 89, expected: .staleAllowed(.staleWhileRevalidate)),
    .init(
        id: "reuse-swr-beyond", spec: "RFC 5861 §3", response: ["Cache-Control: max-age=60, stale-while-revalidate=30"],
        age: 91, expected: .revalidate(.stale)),
    .init(
        id: "reuse-swr-must-revalidate", spec: "RFC 9111 §4.2.4",
        response: ["Cache-Control: max-age=60, stale-while-revalidate=30, must-revalidate"], age: 61,
        expected: .revalidate(.mustRevalidate)),
    .init(
        id: "reuse-swr-with-s-maxage", spec: "Leniencies",
        response: ["Cache-Control: s-maxage=60, stale-while-revalidate=30"], age: 61,
        expected: .staleAllowed(.staleWhileRevalidate)),
    .init(
        id: "reuse-swr-default", spec: "RFC 5861 §3 + config", response: ["Cache-Control: max-age=60"], age: 70,
        defaults: StaleDefaults(staleWhileRevalidate: 20), expected: .staleAllowed(.staleWhileRevalidate)),
    .init(
        id: "reuse-swr-default-not-with-s-maxage", spec: "RFC 9111 §5.2.2.10", response: ["Cache-Control: s-maxage=60"],
        age: 70, defaults: StaleDefaults(staleWhileRevalidate: 20), expected: .revalidate(.mustRevalidate)),
    .init(
        id: "reuse-swr-explicit-beats-default", spec: "RFC 5861 §3",
        response: ["Cache-Control: max-age=60, stale-while-revalidate=5"], age: 70,
        defaults: StaleDefaults(staleWhileRevalidate: 100), expected: .revalidate(.stale)),
    .init(
        id: "reuse-swr-request-max-age-wins", spec: "RFC 9111 §5.2.1.1", request: ["Cache-Control: max-age=0"],
        response: ["Cache-Control: max-age=60, stale-while-revalidate=30"], age: 61,
        expected: .revalidate(.requestMaxAge)),
    .init(
        id: "reuse-no-freshness", spec: "RFC 9111 §4.2", response: ["ETag: \"a\""], age: 0,
        expected: .revalidate(.stale)),
    .init(
        id: "reuse-invalid-expires", spec: "RFC 9111 §5.3", response: ["Expires: -1"], age: 0,
        expected: .revalidate(.stale)),
    .init(
        id: "reuse-conflicting-max-age", spec: "RFC 9111 §4.2.1", response: ["Cache-Control: max-age=60, max-age=120"],
        age: 1, expected: .revalidate(.stale)),
]

@Test(arguments: reuseCases)
func reuseDecision(_ testCase: ReuseCase) {
    let stored = storedInfo(testCase.response)
    let decision = Reuse.decide(
        requestHeaders: fields(testCase.request), stored: stored, now: t0 + testCase.age, defaults: testCase.defaults)
    #expect(decision == testCase.expected)
}

struct StaleOnErrorCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var request: [String] = []
    var response: [String]
    var age: Double
    var defaults: StaleDefaults = .none
    var expected: Bool
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let staleOnErrorCases: [StaleOnErrorCase] = [
    .init(id: "sie-fresh", spec: "RFC 9111 §4.2", response: ["Cache-Control: max-age=60"], age: 1, expected: true),
    .init(id: "sie-none", spec: "RFC 9111 §4.2.4", response: ["Cache-Control: max-age=60"], age: 61, expected: false),
    .init(
        id: "sie-response-within", spec: "RFC 5861 §4", response: ["Cache-Control: max-age=60, stale-if-error=60"],
        age: 120, expected: true),
    .init(
        id: "sie-response-beyond", spec: "RFC 5861 §4", response: ["Cache-Control: max-age=60, stale-if-error=60"],
        age: 121, expected: false),
    .init(
        id: "sie-request", spec: "RFC 5861 §4", request: ["Cache-Control: stale-if-error=100"],
        response: ["Cache-Control: max-age=60"], age: 150, expected: true),
    .init(
        id: "sie-request-narrows", spec: "RFC 5861 §4", request: ["Cache-Control: stale-if-error=0"],
        response: ["Cache-Control: max-age=60, stale-if-error=600"], age: 70, expected: false),
    .init(
        id: "sie-default", spec: "RFC 5861 §4 + config", response: ["Cache-Control: max-age=60"], age: 600,
        defaults: StaleDefaults(staleIfError: 600), expected: true),
    .init(
        id: "sie-must-revalidate", spec: "RFC 9111 §4.2.4",
        response: ["Cache-Control: max-age=60, must-revalidate, stale-if-error=600"], age: 70, expected: false),
    .init(
        id: "sie-no-cache", spec: "RFC 9111 §4.2.4", response: ["Cache-Control: no-cache"], age: 0,
        defaults: StaleDefaults(staleIfError: 600), expected: false),
    .init(
        id: "sie-default-not-with-s-maxage", spec: "RFC 9111 §5.2.2.10", response: ["Cache-Control: s-maxage=60"],
        age: 70, defaults: StaleDefaults(staleIfError: 600), expected: false),
    .init(
        id: "sie-explicit-with-s-maxage", spec: "Leniencies",
        response: ["Cache-Control: s-maxage=60, stale-if-error=600"], age: 70, expected: true),
]

@Test(arguments: staleOnErrorCases)
func staleOnError(_ testCase: StaleOnErrorCase) {
    let stored = storedInfo(testCase.response)
    let allowed = Reuse.canServeStaleOnError(
        requestHeaders: fields(testCase.request), stored: stored, now: t0 + testCase.age, defaults: testCase.defaults)
    #expect(allowed == testCase.expected)
}

@Test func reasonTokensAreKebabCase() {
    let tokens = RevalidateReason.allCases.map(\.rawValue) + StaleReason.allCases.map(\.rawValue)
    for token in tokens {
        #expect(token.allSatisfy { $0 == "-" || ("a"..."z").contains($0) })
    }
}
