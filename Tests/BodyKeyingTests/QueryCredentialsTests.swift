import Testing

@testable import BodyKeying

/// A request target, the target left after taking `key` out, and the credentials taken.
struct QueryCase: CustomTestStringConvertible, Sendable {
    var id: String
    var target: String
    var names: [String] = ["key"]
    var remaining: String
    var credentials: [String]  // "name=value" of each removed pair, in order
    var testDescription: String { self.id }
}

let generate = "/v1beta/models/gemini-2.5-flash:generateContent"

let queryCases: [QueryCase] = [
    .init(id: "first", target: "/p?key=S&a=1&b=2", remaining: "/p?a=1&b=2", credentials: ["key=S"]),
    .init(id: "middle", target: "/p?a=1&key=S&b=2", remaining: "/p?a=1&b=2", credentials: ["key=S"]),
    .init(id: "last", target: "/p?a=1&b=2&key=S", remaining: "/p?a=1&b=2", credentials: ["key=S"]),
    .init(id: "only", target: "\(generate)?key=AIza-1", remaining: generate, credentials: ["key=AIza-1"]),
    .init(id: "repeated", target: "/p?key=A&a=1&key=B", remaining: "/p?a=1", credentials: ["key=A", "key=B"]),
    .init(id: "percent-encoded-name", target: "/p?%6Bey=S&a=1", remaining: "/p?a=1", credentials: ["key=S"]),
    .init(id: "lowercase-hex-name", target: "/p?%6bey=S", remaining: "/p", credentials: ["key=S"]),
    .init(id: "percent-encoded-value", target: "/p?key=a%2Fb", remaining: "/p", credentials: ["key=a/b"]),
    .init(id: "malformed-percent-value", target: "/p?key=a%zz", remaining: "/p", credentials: ["key=a%zz"]),
    .init(id: "no-query", target: "/p", remaining: "/p", credentials: []),
    .init(id: "empty-query-untouched", target: "/p?", remaining: "/p?", credentials: []),
    .init(id: "empty-value", target: "/p?key=&a=1", remaining: "/p?a=1", credentials: ["key="]),
    .init(id: "no-equals", target: "/p?a=1&key", remaining: "/p?a=1", credentials: ["key="]),
    .init(id: "other-empty-values-kept", target: "/p?a=&key=S&b", remaining: "/p?a=&b", credentials: ["key=S"]),
    .init(id: "longer-name-not-matched", target: "/p?keyx=1&xkey=2", remaining: "/p?keyx=1&xkey=2", credentials: []),
    .init(id: "case-sensitive", target: "/p?KEY=S&Key=T", remaining: "/p?KEY=S&Key=T", credentials: []),
    .init(
        id: "others-keep-exact-bytes", target: "/p?alt=sse&$alt=json%3Benum-encoding%3Dint&key=S&q=a+b%20c",
        remaining: "/p?alt=sse&$alt=json%3Benum-encoding%3Dint&q=a+b%20c", credentials: ["key=S"]),
    .init(id: "value-with-equals", target: "/p?key=a=b", remaining: "/p", credentials: ["key=a=b"]),
    .init(
        id: "colon-path-kept", target: "\(generate)?alt=sse&key=S", remaining: "\(generate)?alt=sse",
        credentials: ["key=S"]),
    .init(
        id: "several-names", target: "/p?token=T&a=1&key=S", names: ["key", "token"], remaining: "/p?a=1",
        credentials: ["token=T", "key=S"]),
    .init(id: "only-empty-segments-left", target: "/p?&key=S", remaining: "/p", credentials: ["key=S"]),
]

@Suite("Query credentials")
struct QueryCredentialsTests {
    @Test("split", arguments: queryCases)
    func split(_ testCase: QueryCase) {
        let result = QueryCredentials.split(target: testCase.target, names: testCase.names)
        #expect(bytes(result.target) == bytes(testCase.remaining))
        #expect(result.credentials.map { bytes("\($0.name)=\($0.value)") } == testCase.credentials.map(bytes))
    }
}
