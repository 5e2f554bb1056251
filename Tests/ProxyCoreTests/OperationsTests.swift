import Admin
import AsyncHTTPClient
import DemoUpstream
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyConfig
import ProxyCore
import Testing

/// Reload and graceful shutdown.
@Suite struct OperationsTests {
    static let token = "operations-admin-token-01"

    /// A proxy started from a real file, so that SIGHUP and `POST /reload` have something to re-read.
    func withFileProxy(_ body: (ProxyServer, DemoUpstream, URL, HTTPClient) async throws -> Void) async throws {
        let upstream = DemoUpstream()
        let port = try await upstream.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("proxy.conf")
        try Self.config(upstreamPort: port, ttl: nil).write(to: file, atomically: true, encoding: .utf8)
        var logger = Logger(label: "ops-test")
        logger.logLevel = .critical
        let server = try ProxyServer(
            configuration: try ConfigLoader.load(path: file.path),
            logger: logger,
            threads: 1,
            configPath: file.path
        )
        try await server.start(admin: AdminAPI.mount)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await body(server, upstream, file, client)
        } catch {
            try? await client.shutdown()
            try? await server.shutdown(timeout: .seconds(1))
            try? await upstream.shutdown()
            throw error
        }
        try await client.shutdown()
        if server.isAccepting { try await server.shutdown(timeout: .seconds(1)) }
        try await upstream.shutdown()
    }

    static func config(upstreamPort: Int, ttl: String?) -> String {
        var text = """
            [server]
            listen = "127.0.0.1:0"
            admin_listen = "127.0.0.1:0"
            admin_token = "\(token)"
            shutdown_timeout = "5s"

            [[upstream]]
            name = "demo"
            prefix = "/"
            url = "http://127.0.0.1:\(upstreamPort)"

            """
        if let ttl {
            text += """

                [[rule]]
                name = "echo"
                match = "GET /test/echo"
                ttl = "\(ttl)"

                """
        }
        return text
    }

    func get(_ client: HTTPClient, _ url: String, method: HTTPMethod = .GET, token: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(10))
        return Reply(status: Int(response.status.code), headers: response.headers, body: try await response.body.collect(upTo: 1 << 20))
    }

    @Test func reloadAppliesANewRuleAndRejectsABrokenFile() async throws {
        try await withFileProxy { server, upstream, file, client in
            let base = "http://127.0.0.1:\(server.port)"
            let admin = "http://127.0.0.1:\(server.adminPort!)"
            // No rule yet: the echo (no cache headers) is never stored.
            _ = try await self.get(client, base + "/test/echo")
            #expect(!(try await self.get(client, base + "/test/echo")).isHit)

            try Self.config(upstreamPort: upstream.port, ttl: "1h").write(to: file, atomically: true, encoding: .utf8)
            let reloaded = try await self.get(client, admin + "/reload", method: .POST, token: Self.token)
            #expect(reloaded.status == 200)
            #expect(reloaded.text.contains(#""reloaded":true"#))
            _ = try await self.get(client, base + "/test/echo")
            #expect(try await self.get(client, base + "/test/echo").isHit)

            // A broken file: rejected with its errors; the rule keeps applying.
            try "[[rule]]\nname = \"echo\"\nmatch = \"GET /test/echo\"\nttl = \"soon\"\n".write(to: file, atomically: true, encoding: .utf8)
            let rejected = try await self.get(client, admin + "/reload", method: .POST, token: Self.token)
            #expect(rejected.status == 422)
            #expect(rejected.text.contains("ttl"))
            #expect(rejected.text.contains(#""reloaded":false"#))
            _ = try await self.get(client, base + "/test/echo?after=1")
            #expect(try await self.get(client, base + "/test/echo?after=1").isHit)
        }
    }

    @Test func aSlowRequestInFlightCompletesAfterShutdownBeginsAndNewConnectionsAreRefused() async throws {
        try await withFileProxy { server, upstream, _, client in
            let base = "http://127.0.0.1:\(server.port)"
            let slow = Task { try await self.get(client, base + "/test/slow?ms=5000") }
            try await waitUntil { upstream.requestCount("GET", "/test/slow") == 1 }
            #expect(server.inFlight == 1)
            let stopping = Task { try await server.shutdown(timeout: .seconds(10)) }
            try await waitUntil { !server.isAccepting }
            // The listener is closed: a new connection is refused.
            await #expect(throws: (any Error).self) {
                _ = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: server.port).get()
            }
            let reply = try await slow.value
            #expect(reply.status == 200)
            try await stopping.value
        }
    }
}
