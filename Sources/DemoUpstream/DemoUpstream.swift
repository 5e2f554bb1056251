import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A small in-process HTTP/1.1 server standing in for the upstreams Reprise sits in front of: a FastAPI app backend,
/// ElevenLabs, Gemini and Kling (see shared/upstream-apis.md), plus test and benchmark helpers under /test and /bench.
/// Used by `reprise demo`, the end-to-end tests (port 0) and the benchmarks.
public final class DemoUpstream: Sendable {
    // MARK: Options

    public struct Options: Sendable {
        /// TTS requests in flight per API key before ElevenLabs answers 429 too_many_concurrent_requests.
        public var ttsConcurrencyLimit: Int = 10
        /// Kling polls that still see submitted/processing; the poll after them sees succeed.
        public var klingPollsUntilDone: Int = 2
        /// Serve HTTPS with this context.
        public var tls: NIOSSLContext? = nil
        /// The HS256 secret Kling JWTs must be signed with; nil accepts any signature (the payload is still checked).
        public var klingJWTSecret: String? = "demo-secret"
        /// Threads of the event loop group the server owns.
        public var eventLoopThreads: Int = 1
        /// JSON and text answers of the API fakes are gzipped for clients that accept gzip; with this set, without
        /// adding `Vary: Accept-Encoding` (as Gemini's front end does).
        public var gzipWithoutVary = false

        public init() {}
    }

    // MARK: Properties

    private let options: Options
    private let state = DemoState()
    private let serverChannel = Mutex<Channel?>(nil)
    private let isShutDown = Mutex(false)
    private let group: MultiThreadedEventLoopGroup

    public init(options: Options = .init()) {
        self.options = options
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.eventLoopThreads))
    }

    // MARK: Lifecycle

    /// Binds and starts serving; returns the bound port (port 0 = ephemeral).
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let state = self.state
        let router = DemoRouter(state: state, options: self.options)
        let tls = self.options.tls
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                // A dead upstream: accept, then close at once.
                if state.isRefusing { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                    try pipeline.addHandler(DemoHTTPHandler(router: router, state: state, isTLS: tls != nil))
                }
            }
            .bind(host: host, port: port)
            .get()
        let boundPort = channel.localAddress?.port ?? port
        state.setPort(boundPort)
        self.serverChannel.withLock { $0 = channel }
        return boundPort
    }

    /// Closes the listener and every open connection; calling it again does nothing.
    public func shutdown() async throws {
        let first = self.isShutDown.withLock { isShutDown in
            defer { isShutDown = true }
            return !isShutDown
        }
        guard first else { return }
        let channel = self.serverChannel.withLock { channel -> Channel? in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
        try await self.group.shutdownGracefully()
    }

    public var port: Int {
        self.state.port
    }

    // MARK: Observation

    /// How many requests reached the upstream for this method and path (path without query). Thread-safe.
    public func requestCount(_ method: String, _ path: String) -> Int {
        self.state.requestCount(method: method.uppercased(), path: path)
    }

    public func totalRequests() -> Int {
        self.state.totalRequests()
    }

    public func resetCounts() {
        self.state.resetCounts()
    }

    /// The last request's headers as received for this path (for tests to check forwarded headers).
    public func lastRequestHeaders(_ path: String) -> [(String, String)]? {
        self.state.lastHeaders(path: path)
    }

    // MARK: Failure injection

    /// The next `count` requests to this path answer with this status and the body that upstream would send.
    public func failNext(_ path: String, status: Int, count: Int = 1) {
        self.state.failNext(path: path, status: status, count: count)
    }

    /// Refuse connections: close every new connection immediately (simulates a dead upstream) when true.
    public func setRefusing(_ refusing: Bool) {
        self.state.setRefusing(refusing)
    }

    // MARK: Helpers for clients

    /// An HS256 Kling token for `accessKey`, signed with `secret` (PyJWT's shape: iss, exp, nbf).
    public static func klingToken(
        accessKey: String,
        secret: String = "demo-secret",
        validFor seconds: Int64 = 1800
    ) -> String {
        let now = HTTPDate.nowSeconds()
        return KlingJWT.make(issuer: accessKey, secret: secret, expires: now + seconds, notBefore: now - 5)
    }

    /// An HS256 Kling token with the given `exp` and `nbf` (Unix seconds), for tests that run on their own clock.
    public static func klingToken(
        accessKey: String,
        secret: String = "demo-secret",
        expires: Int64,
        notBefore: Int64
    ) -> String {
        KlingJWT.make(issuer: accessKey, secret: secret, expires: expires, notBefore: notBefore)
    }
}
