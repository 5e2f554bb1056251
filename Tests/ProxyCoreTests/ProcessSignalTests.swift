import AsyncHTTPClient
import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real `reprise` process under signals (issue 6): SIGTERM and SIGINT stop the listener, let the requests in
/// flight finish and exit 0; SIGHUP reloads the file and never ends the process. The executable is the one
/// `swift test` built beside the test bundle (see `ChildProxy.executable()`).
@Suite struct ProcessSignalTests {
    // MARK: Set-up

    static func config(upstreamPort: Int, shutdownTimeout: String, rule: String = "") -> String {
        """
        [server]
        listen = "127.0.0.1:0"
        shutdown_timeout = "\(shutdownTimeout)"

        [[upstream]]
        name = "demo"
        prefix = "/"
        url = "http://127.0.0.1:\(upstreamPort)"
        \(rule)
        """
    }

    /// A `DemoUpstream` in this process, `reprise` as a child process in front of it (port read from its stdout),
    /// and an HTTP client. The child is killed if `body` fails; everything else is always stopped.
    func withChild(
        shutdownTimeout: String,
        _ body: (ChildProxy, _ port: Int, DemoUpstream, HTTPClient, _ configFile: URL) async throws -> Void
    ) async throws {
        let executable = try ChildProxy.executable()
        let upstream = DemoUpstream()
        let upstreamPort = try await upstream.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-signals-\(UUID().uuidString)")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var child: ChildProxy?
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent("proxy.conf")
            try Self.config(upstreamPort: upstreamPort, shutdownTimeout: shutdownTimeout)
                .write(to: file, atomically: true, encoding: .utf8)
            let started = try ChildProxy(executable: executable, config: file)
            child = started
            let port = try await started.waitForPort()
            try await body(started, port, upstream, client, file)
        } catch {
            child?.killIfRunning()
            try? await client.shutdown()
            try? await upstream.shutdown()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        child?.killIfRunning()
        try await client.shutdown()
        try await upstream.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    static func get(_ client: HTTPClient, _ url: String) async throws -> Reply {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        return Reply(status: Int(response.status.code), headers: response.headers, body: try await response.body.collect(upTo: 1 << 20))
    }

    /// Polls `condition` every 10 ms; only the deadline fails (with what the child printed).
    static func poll(
        _ what: String,
        _ child: ChildProxy,
        timeout: Duration = .seconds(15),
        _ condition: () -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now > deadline {
                throw HarnessError("not within \(timeout): \(what)\n\(child.transcript)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: Graceful shutdown

    @Test func sigtermLetsASlowRequestFinishRefusesNewConnectionsAndExitsZero() async throws {
        try await withChild(shutdownTimeout: "10s") { child, port, upstream, client, _ in
            let slow = Task { try await Self.get(client, "http://127.0.0.1:\(port)/test/slow?ms=1000") }
            try await Self.poll("the upstream received the slow request", child) {
                upstream.requestCount("GET", "/test/slow") == 1
            }
            child.send(SIGTERM)
            try await Self.poll("a new connection to the proxy port is refused", child) {
                ConnectProbe.attempt(port: port) == .refused
            }
            let reply = try await slow.value
            #expect(reply.status == 200)
            #expect(reply.text == "slow 1000")
            #expect(try await child.waitForExit() == 0, "\(child.transcript)")
        }
    }

    /// The client holds the end of an upload, so the request is certainly still in flight when the port refuses:
    /// the process must still be running then, and finish the upload once the rest arrives.
    @Test func sigintRefusesNewConnectionsWhileAnUploadIsStillArriving() async throws {
        try await withChild(shutdownTimeout: "60s") { child, port, upstream, client, _ in
            let half = 32 << 10
            let (chunks, feed) = AsyncStream<ByteBuffer>.makeStream()
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/test/upload")
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/octet-stream")
            request.body = .stream(chunks, length: .known(Int64(2 * half)))
            let upload = Task { [request] in
                let response = try await client.execute(request, timeout: .seconds(90))
                return (Int(response.status.code), try await response.body.collect(upTo: 1 << 20))
            }
            feed.yield(ByteBuffer(repeating: UInt8(ascii: "a"), count: half))
            try await Self.poll("the upstream received the upload's head", child) {
                upstream.requestCount("POST", "/test/upload") == 1
            }
            child.send(SIGINT)
            try await Self.poll("a new connection to the proxy port is refused", child) {
                ConnectProbe.attempt(port: port) == .refused
            }
            #expect(child.process.isRunning, "reprise exited with an upload in flight\n\(child.transcript)")

            feed.yield(ByteBuffer(repeating: UInt8(ascii: "b"), count: half))
            feed.finish()
            let (status, body) = try await upload.value
            #expect(status == 200)
            let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            #expect(json?["bytes"] as? Int == 2 * half)
            #expect(try await child.waitForExit() == 0, "\(child.transcript)")
        }
    }

    // MARK: Reload

    @Test func sighupReloadsAGoodFileKeepsTheOldConfigOnABadOneAndNeverEndsTheProcess() async throws {
        try await withChild(shutdownTimeout: "5s") { child, port, upstream, client, file in
            let base = "http://127.0.0.1:\(port)"
            let rule = """

                [[rule]]
                name = "echo"
                match = "GET /test/echo"
                ttl = "1h"
                """
            try Self.config(upstreamPort: upstream.port, shutdownTimeout: "5s", rule: rule)
                .write(to: file, atomically: true, encoding: .utf8)
            child.send(SIGHUP)
            try await Self.poll("the log says the configuration was reloaded", child) {
                child.log.contains("configuration reloaded")
            }
            _ = try await Self.get(client, base + "/test/echo")
            #expect(try await Self.get(client, base + "/test/echo").isHit)

            try "[[rule]]\nname = \"echo\"\nmatch = \"GET /test/echo\"\nttl = \"soon\"\n"
                .write(to: file, atomically: true, encoding: .utf8)
            child.send(SIGHUP)
            try await Self.poll("the log says the reload was rejected", child) {
                child.log.contains("reload rejected")
            }
            #expect(child.log.contains("ttl"), "the rejection names the bad key\n\(child.transcript)")
            #expect(child.process.isRunning)
            // The previous configuration (with the rule) keeps serving.
            _ = try await Self.get(client, base + "/test/echo?after=1")
            #expect(try await Self.get(client, base + "/test/echo?after=1").isHit)

            child.send(SIGTERM)
            #expect(try await child.waitForExit() == 0, "\(child.transcript)")
        }
    }
}
