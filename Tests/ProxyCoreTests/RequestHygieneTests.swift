import Foundation
import NIOCore
import Testing

/// Issue 12: what Reprise refuses, or answers itself, before anything reaches an upstream. Each case: the status,
/// whether the connection was closed, and that nothing was forwarded or stored.
@Suite struct RequestHygieneTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var request: String
        var status: String
        var closed: Bool
        var testDescription: String { self.name }
    }

    static let refusals: [Case] = [
        Case(name: "Host with userinfo", request: "GET /test/echo HTTP/1.1\r\nHost: user@evil.example\r\n\r\n", status: "400", closed: true),
        Case(name: "Host with a space", request: "GET /test/echo HTTP/1.1\r\nHost: a b\r\n\r\n", status: "400", closed: true),
        Case(name: "Host with two colons", request: "GET /test/echo HTTP/1.1\r\nHost: a:1:2\r\n\r\n", status: "400", closed: true),
        Case(name: "Host with a bad port", request: "GET /test/echo HTTP/1.1\r\nHost: a:http\r\n\r\n", status: "400", closed: true),
        Case(name: "Host with a slash", request: "GET /test/echo HTTP/1.1\r\nHost: a/b\r\n\r\n", status: "400", closed: true),
        Case(
            name: "more than max_header_fields fields",
            request: "GET /test/echo HTTP/1.1\r\nHost: a\r\n" + (1...100).map { "X-F\($0): v\r\n" }.joined() + "\r\n",
            status: "431",
            closed: true
        ),
        Case(name: "TRACE without allow_trace", request: "TRACE /test/echo HTTP/1.1\r\nHost: a\r\n\r\n", status: "405", closed: false),
        Case(
            name: "Max-Forwards that is not a number",
            request: "OPTIONS /test/echo HTTP/1.1\r\nHost: a\r\nMax-Forwards: two\r\n\r\n",
            status: "400",
            closed: false
        ),
        Case(name: "CONNECT", request: "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", status: "405", closed: true),
        Case(name: "absolute-form target", request: "GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n", status: "400", closed: true),
    ]

    @Test(arguments: Self.refusals)
    func refused(_ test: Case) async throws {
        try await withHarness(CachePoisoningTests.echoRule) { h in
            // A connection that stays open is shown by a pipelined request (answered by Reprise itself) that closes
            // it: every case ends with a close, so no case waits for a deadline to tell "open" from "slow".
            let follower = "OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: test.request + (test.closed ? "" : follower),
                timeout: .seconds(30)
            )
            #expect(text.hasPrefix("HTTP/1.1 \(test.status)"), "\(text)")
            #expect(text.contains("application/json"))
            #expect(closed)
            let responses = text.components(separatedBy: "HTTP/1.1 ").count - 1
            #expect(responses == (test.closed ? 1 : 2), "\(text)")
            #expect(h.upstream.totalRequests() == 0)
            #expect(h.server.store.statistics.entries == 0)
        }
    }

    @Test func validHostsAreAccepted() async throws {
        try await withHarness(CachePoisoningTests.echoRule) { h in
            for host in ["example.com", "example.com:8080", "127.0.0.1", "[::1]:8080", "xn--bcher-kva.example", "a%41b", ""] {
                let (text, _) = try await RawClient.exchange(
                    port: h.server.port,
                    bytes: "GET /test/echo HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
                )
                #expect(text.hasPrefix("HTTP/1.1 200"), "Host: \(host)")
            }
        }
    }

    @Test func exactlyMaxHeaderFieldsIsAccepted() async throws {
        try await withHarness(CachePoisoningTests.echoRule) { h in
            let fields = "Host: a\r\n" + (1...98).map { "X-F\($0): v\r\n" }.joined() + "Connection: close\r\n"
            let (text, _) = try await RawClient.exchange(port: h.server.port, bytes: "GET /test/echo HTTP/1.1\r\n\(fields)\r\n")
            #expect(text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func traceIsRefusedWithAnAllowField() async throws {
        try await withHarness { h in
            let (text, _) = try await RawClient.exchange(port: h.server.port, bytes: "TRACE / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(text.hasPrefix("HTTP/1.1 405"))
            #expect(text.lowercased().contains("allow: get, head, post, put, patch, delete, options\r\n"))
        }
    }

    @Test func optionsWithMaxForwardsZeroIsAnsweredByReprise() async throws {
        try await withHarness { h in
            let (text, _) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "OPTIONS /test/echo HTTP/1.1\r\nHost: a\r\nMax-Forwards: 0\r\nConnection: close\r\n\r\n"
            )
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.lowercased().contains("allow: get, head"))
            #expect(h.upstream.totalRequests() == 0)
            let (star, _) = try await RawClient.exchange(port: h.server.port, bytes: "OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(star.hasPrefix("HTTP/1.1 200"))
            #expect(h.upstream.totalRequests() == 0)
        }
    }

    @Test func optionsWithMaxForwardsAboveZeroIsForwardedDecremented() async throws {
        try await withHarness { h in
            let reply = try await h.request(.OPTIONS, "/test/echo", headers: [("max-forwards", "3")])
            #expect(reply.status == 200)
            let value = try CachePoisoningTests.value("max-forwards", in: reply)
            #expect(value == "2")
        }
    }

    @Test func traceAllowedWithMaxForwardsZeroReflectsTheRequestWithoutCredentials() async throws {
        let config = """
            [server]
            listen = "127.0.0.1:0"
            allow_trace = true
            [[upstream]]
            name = "demo"
            prefix = "/"
            url = "{UPSTREAM}"
            key_headers = ["x-api-key"]
            key_query_params = ["key"]
            """
        try await withHarness(config) { h in
            let (text, _) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "TRACE /x?key=SECRET1&a=1 HTTP/1.1\r\nHost: a\r\nMax-Forwards: 0\r\nX-Api-Key: SECRET2\r\n"
                    + "Authorization: Bearer SECRET3\r\nCookie: s=SECRET4\r\nX-Other: shown\r\nConnection: close\r\n\r\n"
            )
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.contains("message/http"))
            #expect(text.contains("TRACE /x?a=1 HTTP/1.1"))
            #expect(text.contains("X-Other: shown"))
            #expect(!text.contains("SECRET"))
            #expect(h.upstream.totalRequests() == 0)
        }
    }

    @Test func aTraceForwardedWhenAllowedGoesUpstream() async throws {
        let config = """
            [server]
            listen = "127.0.0.1:0"
            allow_trace = true
            """
        try await withHarness(config) { h in
            let reply = try await h.request(.TRACE, "/test/echo")
            #expect(reply.status == 200)
            #expect(h.upstream.requestCount("TRACE", "/test/echo") == 1)
        }
    }
}
