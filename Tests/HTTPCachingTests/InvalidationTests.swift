import HTTPCaching
import Testing

struct InvalidationCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var method: String = "POST"
    var status: Int = 200
    var path: String = "/v1/voices/add?x=1"
    var response: [String] = []
    var expected: [String]
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

private let authorities = ["api.example.com", "proxy.local:8080"]

let invalidationCases: [InvalidationCase] = [
    .init(id: "inv-get", spec: "RFC 9111 §4.4", method: "GET", expected: []),
    .init(id: "inv-head-options-trace", spec: "RFC 9110 §9.2.1", method: "OPTIONS", expected: []),
    .init(id: "inv-post", spec: "RFC 9111 §4.4", expected: ["/v1/voices/add?x=1"]),
    .init(
        id: "inv-delete-204", spec: "RFC 9111 §4.4", method: "DELETE", status: 204, path: "/v1/voices/7",
        expected: ["/v1/voices/7"]),
    .init(
        id: "inv-unknown-method", spec: "RFC 9111 §4.4", method: "PURGEX", status: 302, expected: ["/v1/voices/add?x=1"]
    ),
    .init(id: "inv-error-status", spec: "RFC 9111 §4.4", status: 404, expected: []),
    .init(id: "inv-5xx", spec: "RFC 9111 §4.4", status: 500, expected: []),
    .init(
        id: "inv-location-absolute-path", spec: "RFC 9111 §4.4", status: 201, response: ["Location: /v1/voices/9"],
        expected: ["/v1/voices/add?x=1", "/v1/voices/9"]),
    .init(
        id: "inv-location-relative", spec: "RFC 3986 §5.2", status: 201, response: ["Location: ../voices/9?a=b#frag"],
        expected: ["/v1/voices/add?x=1", "/v1/voices/9?a=b"]),
    .init(
        id: "inv-content-location-same-host", spec: "RFC 9111 §4.4",
        response: ["Content-Location: https://API.example.com:443/v1/voices"],
        expected: ["/v1/voices/add?x=1", "/v1/voices"]),
    .init(
        id: "inv-location-other-host", spec: "RFC 9111 §4.4", response: ["Location: https://evil.example/v1/voices"],
        expected: ["/v1/voices/add?x=1"]),
    .init(
        id: "inv-location-other-port", spec: "RFC 9111 §4.4", response: ["Location: http://api.example.com:81/a"],
        expected: ["/v1/voices/add?x=1"]),
    .init(
        id: "inv-location-explicit-port", spec: "RFC 9111 §4.4", response: ["Location: http://proxy.local:8080/a"],
        expected: ["/v1/voices/add?x=1", "/a"]),
    .init(
        id: "inv-location-network-path", spec: "RFC 3986 §4.2", response: ["Location: //api.example.com/b"],
        expected: ["/v1/voices/add?x=1", "/b"]),
    .init(
        id: "inv-location-no-path", spec: "RFC 3986 §5.2", response: ["Location: http://api.example.com"],
        expected: ["/v1/voices/add?x=1", "/"]),
    .init(
        id: "inv-location-other-scheme", spec: "RFC 9111 §4.4", response: ["Location: ftp://api.example.com/c"],
        expected: ["/v1/voices/add?x=1"]),
    .init(
        id: "inv-duplicate-removed", spec: "RFC 9111 §4.4",
        response: ["Location: /v1/voices/add?x=1", "Content-Location: /v1/voices/add?x=1"],
        expected: ["/v1/voices/add?x=1"]),
]

@Test(arguments: invalidationCases)
func invalidationTargets(_ testCase: InvalidationCase) {
    let targets = Invalidation.targets(
        method: testCase.method,
        status: testCase.status,
        requestPath: testCase.path,
        responseHeaders: fields(testCase.response),
        sameOriginAuthorities: authorities
    )
    #expect(targets == testCase.expected)
}

@Test func hopByHopFields() {
    let names = HopByHop.fieldNamesToRemove(connectionValues: ["close, X-Foo", "  Keep-Alive ,x-bar"])
    #expect(
        names.isSuperset(of: [
            "connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization",
        ]))
    #expect(names.isSuperset(of: ["close", "x-foo", "x-bar"]))
    #expect(!names.contains("X-Foo"))
    #expect(HopByHop.fieldNamesToRemove(connectionValues: []) == HopByHop.alwaysRemoved)
}

@Test func fieldListReadsCaseInsensitively() {
    let list: HTTPFieldList = [("Cache-Control", "a"), ("X", "1"), ("cache-control", "b")]
    #expect(list.fieldValues("CACHE-CONTROL") == ["a", "b"])
    #expect(list.fieldValues("missing") == [])
    #expect(Array(list).count == 3)
}
