import Admin
import AsyncHTTPClient
import DemoUpstream
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Observability
import ProxyConfig
import ProxyCore

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let value: NIOLockedValueBox<Double>

    /// Starts at the real time, so that the upstream's `Date` header agrees with it (RFC 9111 §4.2.3 apparent age).
    init(_ start: Double = WallClock.system.now()) {
        self.value = NIOLockedValueBox(start)
    }

    var now: Double { self.value.withLockedValue { $0 } }

    func advance(by seconds: Double) {
        self.value.withLockedValue { $0 += seconds }
    }

    var wallClock: WallClock { WallClock { self.now } }
}

struct Reply {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer

    var text: String { String(buffer: self.body) }
    var cacheStatus: String { self.headers.first(name: "cache-status") ?? "" }
    var isHit: Bool { self.cacheStatus.contains("; hit") }
}

/// A real proxy listener on port 0 in front of a real `DemoUpstream` on port 0, and an HTTP client.
struct Harness {
    let upstream: DemoUpstream
    let server: ProxyServer
    let client: HTTPClient
    /// The `Host` every request names unless it sets its own (the instances of a fleet sit behind one name);
    /// nil: the client's default, `127.0.0.1:<port>`.
    var host: String? = nil
    /// The disk tier's directory that this harness made (`REPRISE_TEST_TIERS=disk-only`), removed by `stop()`.
    var diskDirectory: String? = nil

    /// `REPRISE_TEST_TIERS=disk-only`: every harness keeps its entries on disk only (memory takes none), so that the
    /// end-to-end suites run against the disk tier (`scripts/test.sh` runs a set of them this way).
    static let diskOnly = ProcessInfo.processInfo.environment["REPRISE_TEST_TIERS"] == "disk-only"

    /// `text` with a disk tier in `directory` and a memory tier that takes nothing (unless the text sets
    /// `max_object` itself).
    static func diskOnly(_ text: String, directory: String) -> String {
        let keys = "disk_path = \"\(directory)\"\ndisk_size = \"1GiB\"\ndisk_max_object = \"256MiB\"\n"
        guard text.contains("[cache]\n") else { return text + "\n[cache]\nmax_object = \"1B\"\n" + keys }
        let memory = text.contains("max_object") ? "" : "max_object = \"1B\"\n"
        return text.replacingOccurrences(of: "[cache]\n", with: "[cache]\n" + memory + keys)
    }

    var base: String { "http://127.0.0.1:\(self.server.port)" }

    /// `config` may use `{UPSTREAM}` for the demo upstream's base URL, and `{DISK}` for a directory of its own
    /// (removed by `stop()`). Without `[[upstream]]`, one catch-all
    /// upstream named "demo" is added.
    static func start(
        _ config: String = "",
        clock: WallClock = .system,
        upstreamOptions: DemoUpstream.Options = .init(),
        environment: [String: String] = [:]
    ) async throws -> Harness {
        let upstream = DemoUpstream(options: upstreamOptions)
        let port = try await upstream.start()
        let scheme = upstreamOptions.tls == nil ? "http" : "https"
        let host = upstreamOptions.tls == nil ? "127.0.0.1" : "localhost"
        var text = config.replacingOccurrences(of: "{UPSTREAM}", with: "\(scheme)://\(host):\(port)")
        if !text.contains("[server]") {
            text = "[server]\nlisten = \"127.0.0.1:0\"\n" + text
        }
        if !text.contains("[[upstream]]") {
            text += "\n[[upstream]]\nname = \"demo\"\nprefix = \"/\"\nurl = \"\(scheme)://\(host):\(port)\"\n"
        }
        var diskDirectory: String?
        if text.contains("{DISK}") {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-harness-\(UUID().uuidString)").path
            diskDirectory = directory
            text = text.replacingOccurrences(of: "{DISK}", with: directory)
        } else if Self.diskOnly, !text.contains("disk_path") {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-harness-\(UUID().uuidString)").path
            diskDirectory = directory
            text = Self.diskOnly(text, directory: directory)
        }
        let configuration = try ConfigLoader.parse(text, file: "test.conf", environment: environment)
        var logger = Logger(label: "reprise-test")
        logger.logLevel = .critical
        let server = try ProxyServer(configuration: configuration, clock: clock, logger: logger, threads: 1)
        try await server.start(admin: AdminAPI.mount)
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: {
                var configuration = HTTPClient.Configuration(
                    redirectConfiguration: .disallow,
                    timeout: .init(connect: .seconds(5), read: .seconds(30))
                )
                configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 128)
                return configuration
            }()
        )
        return Harness(upstream: upstream, server: server, client: client, diskDirectory: diskDirectory)
    }

    func request(
        _ method: HTTPMethod = .GET,
        _ path: String,
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: self.base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let host = self.host, !request.headers.contains(name: "host") { request.headers.add(name: "host", value: host) }
        if let body { request.body = .bytes(body) }
        let response = try await self.client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 256 << 20)
        // What the response stored is on disk before the next request looks (the write is in the background).
        await self.server.disk?.settle()
        return Reply(status: Int(response.status.code), headers: response.headers, body: collected)
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Reply {
        try await self.request(.GET, path, headers: headers)
    }

    func admin(_ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil) async throws -> Reply {
        guard let port = self.server.adminPort else { throw HarnessError("no admin listener") }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await self.client.execute(request, timeout: .seconds(10))
        return Reply(status: Int(response.status.code), headers: response.headers, body: try await response.body.collect(upTo: 1 << 20))
    }

    func stop() async throws {
        try await self.client.shutdown()
        try await self.server.shutdown()
        try await self.upstream.shutdown()
        if let directory = self.diskDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` against a started harness and always stops it.
func withHarness(
    _ config: String = "",
    clock: WallClock = .system,
    upstreamOptions: DemoUpstream.Options = .init(),
    _ body: (Harness) async throws -> Void
) async throws {
    let harness = try await Harness.start(config, clock: clock, upstreamOptions: upstreamOptions)
    do {
        try await body(harness)
    } catch {
        try? await harness.stop()
        throw error
    }
    try await harness.stop()
}

/// Percent-encodes a query value.
func q(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
}
