import Admin
import Foundation
import Logging
import NIOCore
import NIOPosix
import ProxyConfig
import UpstreamTestSupport

@testable import ProxyCore

/// A real proxy listener on port 0 in front of a `ScriptedServer` (a raw-TCP upstream on port 0 that sends exactly
/// the bytes a test scripts), with metrics on and a JSON access log in a temporary file. One rule stores every
/// `GET` for an hour, so any well-formed 200 would be stored: "nothing stored" means something.
struct ScriptedHarness {
    let upstream: ScriptedServer
    let server: ProxyServer
    let upstreamGroup: MultiThreadedEventLoopGroup
    let accessLog: String

    /// `server` and `upstreamKeys` are added to the `[server]` and `[[upstream]]` tables, `extra` after them (sections
    /// of its own).
    static func start(
        server serverKeys: String = "",
        upstreamKeys: String = "",
        readTimeout: String = "60s",
        extra: String = "",
        respondOnHead: Bool = false,
        script: @escaping ScriptedServer.Script
    ) async throws -> ScriptedHarness {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let upstream = try await ScriptedServer.start(group: group, respondOnHead: respondOnHead, script: script)
        let accessLog = FileManager.default.temporaryDirectory
            .appendingPathComponent("reprise-scripted-\(UInt64.random(in: 0...UInt64.max)).log").path
        let text = """
            [server]
            listen = "127.0.0.1:0"
            \(serverKeys)

            [log]
            access = "\(accessLog)"
            format = "json"

            [[upstream]]
            name = "scripted"
            prefix = "/"
            url = "http://127.0.0.1:\(upstream.port)"
            read_timeout = "\(readTimeout)"
            # A pooled connection stays until a test closes it: the default 4 s could close one on a loaded machine
            # between two steps of a test that counts connections.
            idle_timeout = "600s"
            max_upstream_header_bytes = "2KiB"
            \(upstreamKeys)

            [[rule]]
            name = "cached"
            match = "GET /**"
            ttl = "1h"

            \(extra)
            """
        let configuration = try ConfigLoader.parse(text, file: "test.conf", environment: [:])
        var logger = Logger(label: "reprise-test")
        logger.logLevel = .critical
        let server = try ProxyServer(configuration: configuration, logger: logger, threads: 1)
        try await server.start(admin: AdminAPI.mount)
        return ScriptedHarness(upstream: upstream, server: server, upstreamGroup: group, accessLog: accessLog)
    }

    func stop() async throws {
        try await self.server.shutdown()
        await self.upstream.stop()
        try await self.upstreamGroup.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: self.accessLog)
    }

    // MARK: Requests

    /// One request on a fresh connection that asks to be closed after its response: everything the proxy wrote,
    /// and whether it closed the connection.
    func request(_ target: String, method: String = "GET", headers: [String] = []) async throws -> (text: String, closed: Bool) {
        let fields = (["Host: a", "Connection: close"] + headers).map { $0 + "\r\n" }.joined()
        return try await RawClient.exchange(port: self.server.port, bytes: "\(method) \(target) HTTP/1.1\r\n\(fields)\r\n")
    }

    /// Waits for a condition the proxy reaches asynchronously; the deadline only fails the test, it is never what
    /// the assertion measures.
    func until(_ what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw HarnessError("timed out waiting: \(what)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    // MARK: What the proxy recorded

    /// The value of the first series of `name` whose labels include every one of `labels` (`kind="protocol"`).
    func metric(_ name: String, _ labels: [String]) -> Int? {
        let text = self.server.metricsObserver?.registry.emitToString() ?? ""
        let line = text.split(separator: "\n").first { line in
            line.hasPrefix(name + "{") && labels.allSatisfy { line.contains($0) }
        }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Int(Double($0) ?? -1) }
    }

    /// The access-log lines written so far, decoded.
    func accessLines() async throws -> [[String: Any]] {
        await self.server.flushAccessLog()
        let text = (try? String(contentsOfFile: self.accessLog, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }
}

/// Runs `body` against a started scripted harness and always stops it.
func withScriptedHarness(
    server: String = "",
    upstreamKeys: String = "",
    readTimeout: String = "60s",
    extra: String = "",
    respondOnHead: Bool = false,
    script: @escaping ScriptedServer.Script,
    _ body: (ScriptedHarness) async throws -> Void
) async throws {
    let harness = try await ScriptedHarness.start(
        server: server,
        upstreamKeys: upstreamKeys,
        readTimeout: readTimeout,
        extra: extra,
        respondOnHead: respondOnHead,
        script: script
    )
    do {
        try await body(harness)
    } catch {
        try? await harness.stop()
        throw error
    }
    try await harness.stop()
}

/// What a raw response text says about itself: the final status (after any interim heads), its fields and its body.
struct RawResponse {
    var status: Int = 0
    var headers: [String: String] = [:]
    var body: Substring = ""
    var interim: [Int] = []

    init(_ text: String) {
        var rest = Substring(text)
        while let end = rest.range(of: "\r\n\r\n") {
            let head = rest[..<end.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false)
            let status = head.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
            rest = rest[end.upperBound...]
            if (100..<200).contains(status) {
                self.interim.append(status)
                continue
            }
            self.status = status
            for line in head.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                self.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            self.body = rest
            return
        }
    }

    /// The body did not arrive whole: shorter than its `Content-Length`, or chunked without its last chunk.
    var isTruncated: Bool {
        if let length = self.headers["content-length"].flatMap({ Int($0) }) {
            return self.body.utf8.count < length
        }
        if self.headers["transfer-encoding"] == "chunked" {
            return !self.body.hasSuffix("0\r\n\r\n")
        }
        return false
    }
}

/// A well-formed response with a `Content-Length` body.
func upstreamResponse(_ status: String = "200 OK", headers: [String] = [], body: String) -> String {
    "HTTP/1.1 \(status)\r\n" + headers.map { $0 + "\r\n" }.joined() + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
}
