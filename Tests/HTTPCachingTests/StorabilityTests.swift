import HTTPCaching
import Testing

struct StorabilityCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var method: String = "GET"
    var request: [String] = []
    var status: Int = 200
    var response: [String]
    var policy: StoragePolicy = .default
    var expected: NotStorableReason?
    var testDescription: String { "\(self.id) [\(self.spec)] → \(self.expected?.rawValue ?? "storable")" }
}

let storabilityCases: [StorabilityCase] = [
    .init(id: "store-max-age", spec: "RFC 9111 §3", response: ["Cache-Control: max-age=60"], expected: nil),
    .init(
        id: "store-head", spec: "RFC 9111 §3", method: "HEAD", response: ["Cache-Control: max-age=60"], expected: nil),
    .init(
        id: "store-post-refused", spec: "RFC 9111 §3", method: "POST", response: ["Cache-Control: max-age=60"],
        expected: .method),
    .init(
        id: "store-post-body-keyed", spec: "config cache_body", method: "POST",
        response: ["Cache-Control: max-age=60"], policy: StoragePolicy(bodyKeyed: true), expected: nil),
    .init(
        id: "store-delete-body-keyed-refused", spec: "config cache_body", method: "DELETE",
        response: ["Cache-Control: max-age=60"], policy: StoragePolicy(bodyKeyed: true), expected: .method),
    .init(
        id: "store-lowercase-method-refused", spec: "RFC 9110 §9.1", method: "get",
        response: ["Cache-Control: max-age=60"], expected: .method),
    .init(
        id: "store-no-store", spec: "RFC 9111 §5.2.2.5", response: ["Cache-Control: max-age=60, no-store"],
        expected: .noStore),
    .init(
        id: "store-no-store-second-line", spec: "RFC 9111 §5.2.2.5",
        response: ["Cache-Control: max-age=60", "Cache-Control: NO-STORE"], expected: .noStore),
    .init(
        id: "store-request-no-store", spec: "RFC 9111 §5.2.1.5", request: ["Cache-Control: no-store"],
        response: ["Cache-Control: max-age=60"], expected: .requestNoStore),
    .init(
        id: "store-must-understand-overrides-no-store", spec: "RFC 9111 §5.2.2.3",
        response: ["Cache-Control: max-age=60, no-store, must-understand"], expected: nil),
    .init(
        id: "store-private", spec: "RFC 9111 §5.2.2.7", response: ["Cache-Control: private, max-age=60"],
        expected: .private),
    .init(
        id: "store-private-qualified-ok", spec: "RFC 9111 §5.2.2.7",
        response: ["Cache-Control: private=\"set-cookie\", max-age=60"], expected: nil),
    .init(
        id: "store-authorization", spec: "RFC 9111 §3.5", request: ["Authorization: Bearer x"],
        response: ["Cache-Control: max-age=60"], expected: .authorization),
    .init(
        id: "store-authorization-public", spec: "RFC 9111 §3.5", request: ["Authorization: Bearer x"],
        response: ["Cache-Control: public, max-age=60"], expected: nil),
    .init(
        id: "store-authorization-s-maxage", spec: "RFC 9111 §3.5", request: ["authorization: Bearer x"],
        response: ["Cache-Control: s-maxage=60"], expected: nil),
    .init(
        id: "store-authorization-must-revalidate", spec: "RFC 9111 §3.5", request: ["Authorization: x"],
        response: ["Cache-Control: must-revalidate, max-age=60"], expected: nil),
    .init(
        id: "store-vary-star", spec: "RFC 9111 §4.1", response: ["Cache-Control: max-age=60", "Vary: Accept, *"],
        expected: .varyStar),
    .init(
        id: "store-vary-list-ok", spec: "RFC 9111 §4.1", response: ["Cache-Control: max-age=60", "Vary: Accept"],
        expected: nil),
    .init(
        id: "store-206", spec: "RFC 9111 §3.3", status: 206, response: ["Cache-Control: max-age=60"],
        expected: .partialContent),
    .init(
        id: "store-1xx", spec: "RFC 9111 §3", status: 103, response: ["Cache-Control: max-age=60"], expected: .status),
    .init(
        id: "store-304", spec: "RFC 9111 §3", status: 304, response: ["Cache-Control: max-age=60"], expected: .status),
    .init(id: "store-404-validator", spec: "RFC 9111 §4.2.2", status: 404, response: ["ETag: \"a\""], expected: nil),
    .init(id: "store-302-no-freshness", spec: "RFC 9111 §3", status: 302, response: ["ETag: \"a\""], expected: .status),
    .init(
        id: "store-302-max-age", spec: "RFC 9111 §3", status: 302, response: ["Cache-Control: max-age=60"],
        expected: nil),
    .init(
        id: "store-302-expires", spec: "RFC 9111 §3", status: 302, response: ["Expires: \(httpDate(60))"],
        expected: nil),
    .init(id: "store-307-public", spec: "RFC 9111 §3", status: 307, response: ["Cache-Control: public"], expected: nil),
    .init(
        id: "store-500-upstream-max-age-stored", spec: "RFC 9111 §3", status: 500,
        response: ["Cache-Control: max-age=60"], expected: nil),
    .init(
        id: "store-500-rule-ttl-refused", spec: "Reprise default", status: 500, response: [],
        policy: StoragePolicy(ruleTTL: 60), expected: .errorStatus),
    .init(
        id: "store-500-ttl-override-refused", spec: "Reprise default", status: 500,
        response: ["Cache-Control: max-age=60"], policy: StoragePolicy(ruleTTL: 60, ttlOverride: true),
        expected: .errorStatus),
    .init(
        id: "store-503-refused", spec: "Reprise default", status: 503, response: ["Cache-Control: public"],
        expected: .errorStatus),
    .init(
        id: "store-401-upstream-max-age-stored", spec: "RFC 9111 §3", status: 401,
        response: ["Cache-Control: max-age=60"], expected: nil),
    .init(
        id: "store-429-no-freshness-refused", spec: "Reprise default", status: 429, response: ["ETag: \"x\""],
        expected: .errorStatus),
    .init(
        id: "store-rule-lists-500", spec: "config cache_status_codes", status: 500, response: [],
        policy: StoragePolicy(ruleTTL: 10, cacheableStatusCodes: [200, 500]), expected: nil),
    .init(
        id: "store-rule-allow-list-complete", spec: "config cache_status_codes", status: 404,
        response: ["Cache-Control: max-age=60"], policy: StoragePolicy(cacheableStatusCodes: [200]), expected: .status),
    .init(
        id: "store-rule-allow-list-error", spec: "config cache_status_codes", status: 403,
        response: ["Cache-Control: max-age=60"], policy: StoragePolicy(cacheableStatusCodes: [200]),
        expected: .errorStatus),
    .init(
        id: "store-no-freshness", spec: "RFC 9111 §3", response: ["Content-Type: text/plain"], expected: .noFreshness),
    .init(
        id: "store-validator-only", spec: "RFC 9111 §4.2.2", response: ["Last-Modified: \(httpDate(-3600))"],
        expected: nil),
    .init(id: "store-rule-ttl", spec: "config ttl", response: [], policy: StoragePolicy(ruleTTL: 3600), expected: nil),
    .init(
        id: "store-no-cache-is-storable", spec: "RFC 9111 §5.2.2.4",
        response: ["Cache-Control: no-cache", "ETag: \"v\""], expected: nil),
    .init(
        id: "store-no-cache-without-validator", spec: "RFC 9111 §3", response: ["Cache-Control: no-cache"],
        expected: .noFreshness),
    .init(id: "store-invalid-expires", spec: "RFC 9111 §5.3", response: ["Expires: 0"], expected: nil),
    .init(
        id: "store-targeted-no-store", spec: "RFC 9213 §2.2",
        response: ["Cache-Control: max-age=60", "CDN-Cache-Control: no-store"], expected: .noStore),
    .init(
        id: "store-targeted-overrides-private", spec: "RFC 9213 §2.2",
        response: ["Cache-Control: private", "Reprise-Cache-Control: max-age=60"], expected: nil),
]

@Test(arguments: storabilityCases)
func storability(_ testCase: StorabilityCase) {
    let reason = Storability.check(
        method: testCase.method,
        requestHeaders: fields(testCase.request),
        status: testCase.status,
        responseHeaders: fields(testCase.response),
        policy: testCase.policy
    )
    #expect(reason == testCase.expected)
}

@Test func notStorableReasonTokens() {
    for reason in NotStorableReason.allCases {
        #expect(reason.rawValue.allSatisfy { $0 == "-" || ("a"..."z").contains($0) })
    }
}
