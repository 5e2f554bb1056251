#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// Bad input gets a clear 4xx and a closed connection; upstream failures get 502/504 with a short JSON body.
@Suite struct ErrorHandlingTests {
    @Test func upstreamDownIs502WithJSON() async throws {
        try await withHarness { h in
            h.upstream.setRefusing(true)
            let reply = try await h.get("/test/echo")
            #expect(reply.status == 502)
            #expect(reply.headers.first(name: "content-type") == "application/json")
            #expect(reply.text.contains(#""upstream":"demo""#))
            #expect(reply.text.contains(#""error":"#))
        }
    }

    @Test func nothingListeningIs502() async throws {
        // A port bound but not listening: connecting is refused, and no other test can take the port meanwhile.
        let (descriptor, port) = try Self.boundButNotListening()
        defer { close(descriptor) }
        let config = """
            [[upstream]]
            name = "gone"
            prefix = "/"
            url = "http://127.0.0.1:\(port)"
            """
        try await withHarness(config) { h in
            let reply = try await h.get("/anything")
            #expect(reply.status == 502)
            #expect(reply.text.contains(#""upstream":"gone""#))
        }
    }

    /// A TCP socket bound to a free loopback port without `listen`: connections to it are refused.
    static func boundButNotListening() throws -> (Int32, Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw HarnessError("cannot bind a probe socket") }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func upstreamTimeoutIs504() async throws {
        let config = """
            [[upstream]]
            name = "slow"
            prefix = "/"
            url = "{UPSTREAM}"
            read_timeout = "300ms"
            """
        try await withHarness(config) { h in
            let reply = try await h.get("/test/hang")
            #expect(reply.status == 504)
            #expect(reply.text.contains(#""upstream":"slow""#))
        }
    }

    @Test func aPathWithNoUpstreamIs404JSON() async throws {
        let config = """
            [[upstream]]
            name = "only"
            prefix = "/only"
            url = "{UPSTREAM}"
            """
        try await withHarness(config) { h in
            let reply = try await h.get("/elsewhere")
            #expect(reply.status == 404)
            #expect(reply.text.contains("no upstream"))
            #expect(h.upstream.totalRequests() == 0)
        }
    }

    @Test func malformedRequestIs400AndTheConnectionIsClosed() async throws {
        try await withHarness { h in
            let (text, closed) = try await RawClient.exchange(port: h.server.port, bytes: "GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n")
            #expect(text.hasPrefix("HTTP/1.1 400"))
            #expect(closed)
        }
    }

    @Test func absoluteFormTargetIsRefused() async throws {
        try await withHarness { h in
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"
            )
            #expect(text.hasPrefix("HTTP/1.1 400"))
            #expect(closed)
            #expect(h.upstream.totalRequests() == 0)
        }
    }

    @Test func connectIsRefused() async throws {
        try await withHarness { h in
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
            )
            #expect(text.hasPrefix("HTTP/1.1 405"))
            #expect(closed)
        }
    }

    @Test func oversizedHeaderBlockIs431() async throws {
        try await withHarness("[server]\nlisten = \"127.0.0.1:0\"\nmax_header_bytes = \"4KiB\"\n") { h in
            let big = String(repeating: "a", count: 8000)
            let (text, closed) = try await RawClient.exchange(port: h.server.port, bytes: "GET /x HTTP/1.1\r\nHost: a\r\nX-Big: \(big)\r\n\r\n")
            #expect(text.hasPrefix("HTTP/1.1 431"))
            #expect(closed)
        }
    }

    @Test func declaredBodyOverTheLimitIs413() async throws {
        try await withHarness("[server]\nlisten = \"127.0.0.1:0\"\nmax_request_body = \"1KiB\"\n") { h in
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "POST /test/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n"
            )
            #expect(text.hasPrefix("HTTP/1.1 413"))
            #expect(closed)
            #expect(h.upstream.totalRequests() == 0)
        }
    }

    @Test func chunkedBodyOverTheLimitIs413() async throws {
        try await withHarness("[server]\nlisten = \"127.0.0.1:0\"\nmax_request_body = \"1KiB\"\n") { h in
            let chunk = String(repeating: "z", count: 800)
            let hex = String(chunk.utf8.count, radix: 16)
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "POST /test/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "\(hex)\r\n\(chunk)\r\n\(hex)\r\n\(chunk)\r\n0\r\n\r\n"
            )
            #expect(text.hasPrefix("HTTP/1.1 413"))
            #expect(closed)
        }
    }
}
