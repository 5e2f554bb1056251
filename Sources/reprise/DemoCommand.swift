import Admin
import ArgumentParser
import AsyncHTTPClient
import DemoUpstream
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ProxyConfig
import ProxyCore

/// `reprise demo`: starts the demo upstream and the proxy on loopback and walks through the three scenarios of
/// the design: a repeated read is a hit, a write drops what it made stale, and a short TTL refreshes the entry.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run the guided demo on loopback.")

    @Option(help: "TTL of the voice list in the demo, in seconds.")
    var ttl: Int = 2

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let upstream = DemoUpstream()
        let upstreamPort = try await upstream.start()
        let configuration = try ConfigLoader.parse(Self.config(upstreamPort: upstreamPort, ttl: self.ttl), file: "demo.conf")
        let server = try ProxyServer(configuration: configuration, threads: 1)
        try await server.start(admin: AdminAPI.mount)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let base = "http://127.0.0.1:\(server.port)"
        print("Demo upstream on 127.0.0.1:\(upstreamPort); Reprise on \(base)\n")

        func call(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> (Int, String, String) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "xi-api-key", value: "demo-key")
            if let body {
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
            return (Int(response.status.code), response.headers.first(name: "cache-status") ?? "-", text)
        }
        func upstreamReads() -> Int { upstream.requestCount("GET", "/api/v1/tts/voices") }

        do {
            print("1. The voice list, read twice")
            let first = try await call(.GET, "/api/v1/tts/voices")
            print("   GET /api/v1/tts/voices → \(first.0)  Cache-Status: \(first.1)")
            let second = try await call(.GET, "/api/v1/tts/voices")
            print("   GET /api/v1/tts/voices → \(second.0)  Cache-Status: \(second.1)")
            print("   the upstream saw \(upstreamReads()) request(s) for the list\n")

            print("2. A voice clone is created; the next read must include it")
            let created = try await call(.POST, "/api/v1/tts/clone/create", body: #"{"name":"Grandma"}"#)
            print("   POST /api/v1/tts/clone/create → \(created.0)  \(created.2.trimmingCharacters(in: .whitespacesAndNewlines))")
            let third = try await call(.GET, "/api/v1/tts/voices")
            print("   GET /api/v1/tts/voices → \(third.0)  Cache-Status: \(third.1)")
            print("   the new voice is in the list: \(third.2.contains("Grandma") ? "yes" : "NO")")
            print("   the upstream saw \(upstreamReads()) request(s) for the list\n")

            print("3. The TTL (\(self.ttl)s) passes; the entry is refreshed")
            let fourth = try await call(.GET, "/api/v1/tts/voices")
            print("   GET /api/v1/tts/voices → \(fourth.0)  Cache-Status: \(fourth.1)")
            try await Task.sleep(for: .milliseconds(self.ttl * 1000 + 200))
            let fifth = try await call(.GET, "/api/v1/tts/voices")
            print("   after \(self.ttl)s: GET /api/v1/tts/voices → \(fifth.0)  Cache-Status: \(fifth.1)")
            print("   the upstream saw \(upstreamReads()) request(s) for the list")
        } catch {
            print("demo failed: \(error)")
        }
        try await client.shutdown()
        try await server.shutdown()
        try await upstream.shutdown()
    }

    static func config(upstreamPort: Int, ttl: Int) -> String {
        """
        [server]
        listen = "127.0.0.1:0"

        [cache]
        memory = "64MiB"
        max_object = "8MiB"

        [[upstream]]
        name = "backend"
        prefix = "/"
        url = "http://127.0.0.1:\(upstreamPort)"
        key_headers = ["xi-api-key"]

        [[rule]]
        name = "voices"
        match = "GET /api/v1/tts/voices"
        ttl = "\(ttl)s"
        tags = ["voices"]

        [[purge]]
        name = "voice-clone-writes"
        on = ["POST /api/v1/tts/clone/create", "PUT /api/v1/tts/clone/*", "DELETE /api/v1/tts/clone/*"]
        tags = ["voices"]
        """
    }
}
