import NIOHTTP1
import Testing

@testable import ProxyCore

/// The request fields sent upstream (RFC 9110 §7.6): what is dropped, kept and added, from a client and from a
/// trusted proxy.
@Suite struct ForwardedHeadersTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var fields: [(String, String)]
        var trusted: Bool
        /// The fields expected upstream, in order (`via` last).
        var expected: [(String, String)]
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(
            name: "hop-by-hop fields and framing are dropped, Host becomes X-Forwarded-Host",
            fields: [("Host", "a.example"), ("Connection", "keep-alive"), ("Keep-Alive", "5"), ("TE", "trailers"),
                     ("Content-Length", "3"), ("Accept", "*/*")],
            trusted: false,
            expected: [("Accept", "*/*"), ("x-forwarded-for", "10.0.0.9"), ("x-forwarded-proto", "http"),
                       ("x-forwarded-host", "a.example"), ("via", "1.1 reprise")]
        ),
        Case(
            name: "fields that Connection lists are dropped, in any case",
            fields: [("connection", "X-Secret, close"), ("x-secret", "1"), ("X-SECRET", "2"), ("X-Kept", "3")],
            trusted: false,
            expected: [("X-Kept", "3"), ("x-forwarded-for", "10.0.0.9"), ("x-forwarded-proto", "http"), ("via", "1.1 reprise")]
        ),
        Case(
            name: "a client's forwarding fields and Reprise's controls are dropped",
            fields: [("X-Forwarded-For", "1.2.3.4"), ("X-HTTP-Method-Override", "DELETE"), ("Reprise-Cache-TTL", "5"),
                     ("HOST", "b.example"), ("host", "c.example")],
            trusted: false,
            expected: [("x-forwarded-for", "10.0.0.9"), ("x-forwarded-proto", "http"), ("x-forwarded-host", "b.example"),
                       ("via", "1.1 reprise")]
        ),
        Case(
            name: "a trusted proxy's forwarding fields are kept and X-Forwarded-For appended to",
            fields: [("Host", "a.example"), ("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-Proto", "https"),
                     ("Reprise-Cache-Namespace", "n")],
            trusted: true,
            expected: [("X-Forwarded-Proto", "https"), ("x-forwarded-for", "1.2.3.4, 10.0.0.9"),
                       ("x-forwarded-host", "a.example"), ("via", "1.1 reprise")]
        ),
    ]

    @Test(arguments: cases)
    func fieldsSentUpstream(_ testCase: Case) {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders(testCase.fields))
        let sent = ForwardedHeaders.request(head, peer: ClientPeer(ip: "10.0.0.9", trusted: testCase.trusted))
        #expect(sent.map { "\($0.name): \($0.value)" } == testCase.expected.map { "\($0.0): \($0.1)" })
    }

    @Test func anHTTP10ClientIsNamedInVia() {
        let head = HTTPRequestHead(version: .http1_0, method: .GET, uri: "/", headers: HTTPHeaders())
        #expect(ForwardedHeaders.request(head, peer: ClientPeer(ip: nil, trusted: false))["via"] == ["1.0 reprise"])
    }
}
