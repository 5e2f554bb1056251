import NIOCore
import Testing

/// The client side reads requests with Reprise's own RFC 9112 parser: pipelined requests are answered in order,
/// a request may arrive in any number of pieces, and a request whose framing is in doubt never reaches an
/// upstream.
@Suite struct RequestFramingTests {
    static let cached = "/test/cache?cc=max-age%3D60&id=pipelined"

    @Test func pipelinedRequestsAreAnsweredInOrderAndNothingAfterAClose() async throws {
        try await withHarness { h in
            // A slow miss, its hit, an uncached read that closes, and a request after the close.
            let bytes = "GET \(Self.cached)&delay_ms=50 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET \(Self.cached)&delay_ms=50 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /test/cache?cc=no-store&id=last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                + "GET /test/cache?cc=no-store&id=never HTTP/1.1\r\nHost: a\r\n\r\n"
            let (text, closed) = try await RawClient.exchange(port: h.server.port, bytes: bytes)
            #expect(closed)
            let responses = text.components(separatedBy: "HTTP/1.1 200 OK\r\n").dropFirst()
            #expect(responses.count == 3, "\(text)")
            guard responses.count == 3 else { return }
            let list = Array(responses)
            #expect(list[0].contains("fwd=uri-miss") && list[0].contains("id=pipelined"))
            #expect(list[1].contains("Reprise; hit") && list[1].contains("id=pipelined"))
            #expect(list[2].contains("id=last") && list[2].lowercased().contains("connection: close"))
            #expect(!text.contains("id=never"))
            #expect(h.upstream.totalRequests() == 2)
        }
    }

    @Test func aRequestInManyPiecesIsAnswered() async throws {
        try await withHarness { h in
            let client = try await InteractiveClient.connect(port: h.server.port)
            let request = "GET /test/cache?cc=max-age%3D60&id=pieces HTTP/1.1\r\nHost: a\r\nX-Long: \(String(repeating: "v", count: 3000))\r\n\r\n"
            var rest = Substring(request)
            var size = 1
            while !rest.isEmpty {
                try await client.send(String(rest.prefix(size)))
                rest = rest.dropFirst(size)
                size = size * 3 + 1
            }
            try await client.waitFor("id=pieces")
            // Then a request body in pieces, chunked.
            try await client.send("POST /test/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
            try await client.send("lo\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
            try await client.waitFor("body_bytes")
            let text = try await client.text
            #expect(text.contains(#""body_bytes":11"#), "\(text)")
        }
    }

    @Test func smugglingAttemptsNeverReachTheUpstream() async throws {
        let attempts = [
            "POST /test/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /test/echo HTTP/1.1\r\n\r\n",
            "POST /test/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nContent-Length: 40\r\n\r\n",
            "POST /test/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
            "POST /test/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
            "POST /test/echo HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "GET /test/echo HTTP/1.1\nHost: a\n\n",
        ]
        try await withHarness { h in
            for attempt in attempts {
                let (text, closed) = try await RawClient.exchange(port: h.server.port, bytes: attempt)
                #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(attempt.debugDescription): \(text)")
                #expect(text.contains(#"{"error":"malformed HTTP request: "#))
                #expect(closed)
            }
            #expect(h.upstream.totalRequests() == 0)
        }
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        let request: String
        let status: String
        /// A bad head is refused before any upstream sees it; a bad body only after its head was forwarded.
        var badHead = true
        var testDescription: String { self.name }
    }

    static let refusals = [
        Refusal(name: "HTTP/2.0 on an HTTP/1 connection", request: "GET /test/echo HTTP/2.0\r\nHost: a\r\n\r\n", status: "505"),
        Refusal(name: "a transfer coding other than chunked", request: "POST /test/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: "501"),
        Refusal(name: "a request line over max_header_bytes", request: "GET /\(String(repeating: "p", count: 5000)) HTTP/1.1\r\n\r\n", status: "414"),
        Refusal(name: "a head over max_header_bytes", request: "GET / HTTP/1.1\r\nX: \(String(repeating: "h", count: 5000))\r\n\r\n", status: "431"),
        Refusal(name: "an oversized chunk-size line", request: "POST /test/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;\(String(repeating: "e", count: 5000))\r\n", status: "400",
                badHead: false),
    ]

    @Test(arguments: refusals)
    func refusedWithTheirStatusAndClosed(_ refusal: Refusal) async throws {
        try await withHarness("[server]\nlisten = \"127.0.0.1:0\"\nmax_header_bytes = \"4KiB\"\n") { h in
            let (text, closed) = try await RawClient.exchange(port: h.server.port, bytes: refusal.request)
            #expect(text.hasPrefix("HTTP/1.1 \(refusal.status) "), "\(text)")
            #expect(text.contains(#"{"error":"#))
            #expect(closed)
            if refusal.badHead { #expect(h.upstream.totalRequests() == 0) }
        }
    }
}
