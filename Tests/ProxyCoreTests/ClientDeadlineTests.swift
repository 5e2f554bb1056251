#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import ProxyCore

/// Issue 12: every phase of a client connection has a deadline. Each test configures a short one and waits for
/// the event it causes (the connection's close, a counter), never for a wall-clock window.
@Suite struct ClientDeadlineTests {
    static func config(_ lines: String) -> String {
        """
        [server]
        listen = "127.0.0.1:0"
        \(lines)
        [[rule]]
        name = "echo"
        match = "GET /test/echo"
        ttl = "1h"
        """
    }

    @Test func aHeadThatDoesNotCompleteGets408AndTheConnectionCloses() async throws {
        try await withHarness(Self.config("client_header_timeout = \"200ms\"")) { h in
            let (text, closed) = try await RawClient.exchange(port: h.server.port, bytes: "GET /test/echo HTTP/1.1\r\nHost: a\r\nX-Slow:")
            #expect(text.hasPrefix("HTTP/1.1 408"))
            #expect(text.contains("client_header_timeout"))
            #expect(closed)
            #expect(h.server.proxy.counters.headerTimeouts.load(ordering: .relaxed) == 1)
            #expect(h.upstream.totalRequests() == 0)
        }
    }

    @Test func aConnectionThatSendsNothingIsClosedQuietlyAfterKeepAlive() async throws {
        try await withHarness(Self.config("keepalive_timeout = \"5s\"")) { h in
            let (text, closed) = try await RawClient.exchange(port: h.server.port, bytes: "", timeout: .seconds(30))
            #expect(text.isEmpty)
            #expect(closed)
        }
    }

    @Test func theHeaderDeadlineAppliesToEveryRequestOfAKeptAliveConnection() async throws {
        try await withHarness(Self.config("client_header_timeout = \"200ms\"")) { h in
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "GET /test/echo HTTP/1.1\r\nHost: a\r\n\r\nGET /test/echo HTTP/1.1\r\nHost: a\r\n"
            )
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.contains("HTTP/1.1 408"))
            #expect(closed)
        }
    }

    @Test func aStalledBodyGets408AndNothingIsStoredOrForwardedWhole() async throws {
        let config = """
            [server]
            listen = "127.0.0.1:0"
            client_body_timeout = "200ms"
            [[rule]]
            name = "tts"
            match = "POST /test/echo"
            cache_body = true
            ttl = "1h"
            """
        try await withHarness(config) { h in
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "POST /test/echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"text\":"
            )
            #expect(text.hasPrefix("HTTP/1.1 408"))
            #expect(text.contains("client_body_timeout"))
            #expect(closed)
            #expect(h.server.proxy.counters.bodyTimeouts.load(ordering: .relaxed) == 1)
            #expect(h.server.store.statistics.entries == 0)
            #expect(h.upstream.totalRequests() == 0)
        }
    }

    @Test func aStalledUploadThatIsStreamingIsCancelledUpstream() async throws {
        try await withHarness(Self.config("client_body_timeout = \"200ms\"")) { h in
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "POST /test/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nabc"
            )
            #expect(text.hasPrefix("HTTP/1.1 408"))
            #expect(closed)
        }
    }

    @Test func anIdleKeptAliveConnectionIsClosed() async throws {
        try await withHarness(Self.config("keepalive_timeout = \"5s\"")) { h in
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "GET /test/echo HTTP/1.1\r\nHost: a\r\n\r\n",
                timeout: .seconds(30)
            )
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(!text.contains("HTTP/1.1 408"))
            #expect(closed)
            #expect(h.server.proxy.counters.keepAliveTimeouts.load(ordering: .relaxed) == 1)
        }
    }

    @Test func aClientThatStopsReadingIsCut() async throws {
        try await withHarness(Self.config("send_timeout = \"200ms\"")) { h in
            // A plain socket with a small receive buffer that never reads (NIO's client would still read).
            let socket = try StalledReader(port: h.server.port)
            defer { socket.close() }
            try socket.send("GET /test/large?bytes=67108864 HTTP/1.1\r\nHost: a\r\n\r\n")
            // The proxy stops being able to write, waits send_timeout, and closes: the counters say so.
            let counters = h.server.proxy.counters
            do {
                try await waitUntil(timeout: .seconds(30)) { counters.sendTimeouts.load(ordering: .relaxed) >= 1 }
                try await waitUntil { counters.openConnections.load(ordering: .relaxed) == 0 }
            } catch {
                let state: String =
                    "send timeouts \(counters.sendTimeouts.load(ordering: .relaxed)), open \(counters.openConnections.load(ordering: .relaxed)), "
                    + "in flight \(counters.inFlight.load(ordering: .relaxed)), requests \(counters.requests.load(ordering: .relaxed))"
                Issue.record(Comment(rawValue: state))
                throw error
            }
        }
    }

    @Test func connectionsPastMaxConnectionsAreClosedAtAccept() async throws {
        try await withHarness(Self.config("max_connections = 2")) { h in
            let group = MultiThreadedEventLoopGroup.singleton
            let first = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: h.server.port).get()
            let second = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: h.server.port).get()
            try await waitUntil { h.server.proxy.counters.openConnections.load(ordering: .relaxed) == 2 }
            // The third is accepted and closed at once, before it could send anything.
            let third = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: h.server.port).get()
            try await third.closeFuture.timeout(after: .seconds(10), on: third.eventLoop).get()
            #expect(h.server.proxy.counters.refusedConnections.load(ordering: .relaxed) == 1)
            // The open ones are still served.
            try await first.close()
            try await second.close()
            try await waitUntil { h.server.proxy.counters.openConnections.load(ordering: .relaxed) == 0 }
            let reply = try await h.get("/test/echo")
            #expect(reply.status == 200)
        }
    }

    @Test func statsAndMetricsCountTheDeadlines() async throws {
        let config = """
            [server]
            listen = "127.0.0.1:0"
            admin_listen = "127.0.0.1:0"
            admin_token = "0123456789abcdef0123"
            client_header_timeout = "200ms"
            """
        try await withHarness(config) { h in
            _ = try await RawClient.exchange(port: h.server.port, bytes: "GET / HTTP/1.1\r\n")
            let stats = try await h.admin(.GET, "/stats", token: "0123456789abcdef0123")
            #expect(stats.text.contains(#""timeouts":{"header":1"#))
            let metrics = try await h.admin(.GET, "/metrics", token: "0123456789abcdef0123")
            #expect(metrics.text.contains(#"reprise_client_timeouts_total{phase="header"} 1"#))
            #expect(metrics.text.contains("reprise_connections_open"))
        }
    }
}


/// A blocking TCP client that sends a request and never reads its answer.
struct StalledReader {
    let descriptor: Int32

    init(port: Int) throws {
        self.descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var size: Int32 = 4096
        setsockopt(self.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(self.descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard self.descriptor >= 0, connected else { throw HarnessError("cannot connect") }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(self.descriptor, bytes, bytes.count, 0) == bytes.count else { throw HarnessError("short send") }
    }

    func close() {
        _ = Glibc.close(self.descriptor)
    }
}
