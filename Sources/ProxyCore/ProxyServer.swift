import CacheStore
import DiskCache
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Observability
import ProxyConfig
import RedisCache
import RedisClient

/// The running proxy: the client listener, the admin listener, the store and the upstream clients.
public final class ProxyServer: Sendable {
    let proxy: ProxyContext
    /// The disk tier, when `[cache] disk_path` is set.
    public let disk: DiskTier?
    let group: MultiThreadedEventLoopGroup
    public let logger: Logger
    private let state = NIOLockedValueBox(ListenerState())

    /// Open client connections, closed at the end of a graceful shutdown.
    private let connections = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])
    /// The file the configuration came from, for `POST /reload`; nil when built in code.
    public let configPath: String?

    private struct ListenerState {
        var channels: [Channel] = []
        var port: Int?
        var adminPort: Int?
        var configuration: ProxyConfiguration?
        var accepting = false
        /// Tables replaced by a reload whose upstream clients are not closed yet (they wait for a grace period).
        var retired: [RoutingTable] = []
        /// `shutdown()` ran: retired tables are closed there, not by their timers.
        var stopped = false
    }

    public init(
        configuration: ProxyConfiguration,
        clock: WallClock = .system,
        logger: Logger = Logger(label: "reprise"),
        threads: Int = CPUBudget.current(),
        configPath: String? = nil
    ) throws {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.logger = logger
        self.configPath = configPath
        Self.logWarnings(configuration, logger: logger)
        let table = try RoutingTable(configuration: configuration, group: self.group)
        var secret = configuration.cache.keySecret.map { Array($0.utf8) }
        var fleet: RedisFleet?
        if let redis = configuration.redis {
            let started = RedisFleet(options: Self.fleetOptions(redis), eventLoopGroup: self.group, logger: logger)
            started.start()
            if secret == nil {
                // Every instance must compute the same partitions: agree on one secret through Redis (SET NX).
                secret = try? started.agreeOnSecret(
                    proposed: CredentialHasher.randomSecret(),
                    timeout: TimeAmount(redis.connectTimeout) * 2
                ).wait()
            }
            fleet = started
        }
        let hasherSecret = secret ?? CredentialHasher.randomSecret()
        var observers: [RequestObserver] = []
        if configuration.metrics.enabled { observers.append(MetricsObserver(group: self.group)) }
        if configuration.log.access != .off {
            observers.append(try AccessLogObserver(settings: configuration.log, group: self.group))
        }
        let patterns = FleetBridge.PatternCache()
        var lower: [any CacheTier] = []
        if let disk = configuration.cache.disk {
            let tier = try DiskTier(
                options: DiskTier.Options(
                    path: disk.path,
                    budget: disk.size,
                    maxObject: disk.maxObject,
                    readIntoMemoryLimit: min(configuration.cache.maxObject, Self.sendfileThreshold)
                ),
                compile: patterns.compiler,
                clock: { clock.now() },
                logger: logger
            )
            self.disk = tier
            lower.append(tier)
        } else {
            self.disk = nil
        }
        if let fleet { lower.append(fleet) }
        let cache = TieredStore(
            memory: MemoryStore<CachePolicy>(budget: configuration.cache.memory, maxObject: configuration.cache.maxObject),
            lower: lower,
            compile: patterns.compiler
        )
        self.proxy = ProxyContext(
            table: table,
            cache: cache,
            patterns: patterns,
            hasher: CredentialHasher(secret: hasherSecret),
            clock: clock,
            logger: logger,
            observers: observers,
            fleet: fleet
        )
        fleet?.setHooks(FleetBridge.hooks(for: self.proxy))
        if let fleet, let redis = configuration.redis {
            let sync = LedgerSync(
                ledger: self.proxy.ledger,
                configuration: Self.fleetOptions(redis).redis,
                keys: fleet.keys,
                eventLoop: self.group.next(),
                logger: logger
            )
            sync.start()
            self.ledgerSync = sync
        } else {
            self.ledgerSync = nil
        }
        self.state.withLockedValue { $0.configuration = configuration }
    }

    /// Disk entries with larger bodies are sent from their files with `sendfile` (never copied into memory); smaller
    /// ones are read and may be promoted to memory. Measured: BENCHMARKS.md, disk tier.
    public static let sendfileThreshold = 256 << 10

    static func fleetOptions(_ redis: RedisSettings) -> RedisFleet.Options {
        var connection = RedisConfiguration(host: redis.endpoint.host, port: redis.endpoint.port)
        connection.username = redis.endpoint.username
        connection.password = redis.endpoint.password
        connection.database = redis.endpoint.database
        connection.connectTimeout = TimeAmount(redis.connectTimeout)
        connection.commandTimeout = TimeAmount(redis.commandTimeout)
        // Back in the fleet within a second of Redis returning.
        connection.reconnectBackoff = .init(initial: .milliseconds(50), max: .milliseconds(500))
        return RedisFleet.Options(
            redis: connection,
            keyPrefix: redis.keyPrefix,
            maxObject: redis.maxObject,
            ackTimeout: TimeAmount(redis.purgeAckTimeout),
            lease: TimeAmount(redis.coalesceLease)
        )
    }

    /// Fleet mode: sums the ledger of every instance in Redis (nil without `[redis]`).
    let ledgerSync: LedgerSync?

    /// Fleet mode's state (nil without `[redis]`).
    public var fleet: RedisFleet? { self.proxy.fleet }

    /// The memory tier (for tests and the admin API).
    public var store: MemoryStore<GDSFPolicy> { self.proxy.store }

    /// Every tier, promotion and the purge journal.
    public var cache: TieredStore<GDSFPolicy> { self.proxy.cache }

    /// The bound client port (after `start()`).
    public var port: Int { self.state.withLockedValue { $0.port ?? 0 } }

    /// The bound admin port, when an admin listener is configured.
    public var adminPort: Int? { self.state.withLockedValue { $0.adminPort } }

    public var configuration: ProxyConfiguration { self.proxy.table.configuration }

    /// stale-while-revalidate refreshes running now.
    public var backgroundRefreshes: Int { self.proxy.refresher.count }

    /// Binds the listeners: the client listener, and `admin_listen` with the admin API `admin` sets up (the
    /// `Admin` target's `AdminAPI.mount`; without it no admin listener is opened, and that is logged).
    public func start(admin: AdminMount? = nil) async throws {
        let configuration = self.proxy.table.configuration
        let server = configuration.server
        let proxy = self.proxy
        let limits = ProxyHandler.Limits(
            maxRequestBody: server.maxRequestBody,
            maxHeaderBytes: server.maxHeaderBytes,
            maxHeaderFields: server.maxHeaderFields
        )
        let main: Channel
        do {
            main = try await self.bootstrap { channel in
                let counters = proxy.counters
                let open = counters.openConnections.wrappingAdd(1, ordering: .relaxed).newValue
                channel.closeFuture.whenComplete { _ in counters.openConnections.wrappingSubtract(1, ordering: .relaxed) }
                guard open <= proxy.table.configuration.server.maxConnections else {
                    // max_connections: refused at accept, closed at once; the connections already open keep being served.
                    counters.refusedConnections.wrappingAdd(1, ordering: .relaxed)
                    try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler())
                    return
                }
                // One handler: ProxyHandler parses its own requests, writes its own responses, orders pipelined ones.
                try channel.pipeline.syncOperations.addHandler(ProxyHandler(proxy: proxy, limits: limits))
                self.track(channel)
            }
            .bind(host: server.listen.host, port: server.listen.port).get()
        } catch {
            throw ListenError(key: "listen", host: server.listen.host, port: server.listen.port, underlying: error)
        }
        var channels = [main]
        var adminPort: Int?
        if server.adminListen != nil, admin == nil {
            self.logger.error("admin_listen is set, but this program has no admin API to serve: no admin listener")
        }
        if let adminListen = server.adminListen, let admin {
            let configure = admin(self, server.adminToken ?? "")
            let adminChannel: Channel
            do {
                adminChannel = try await self.bootstrap(configure)
                .bind(host: adminListen.host, port: adminListen.port).get()
            } catch {
                try? await main.close()
                throw ListenError(key: "admin_listen", host: adminListen.host, port: adminListen.port, underlying: error)
            }
            channels.append(adminChannel)
            adminPort = adminChannel.localAddress?.port
        }
        let port = main.localAddress?.port
        self.state.withLockedValue {
            $0.channels = channels
            $0.port = port
            $0.adminPort = adminPort
            $0.accepting = true
        }
        self.logger.info(
            "reprise listening",
            metadata: ["listen": "\(server.listen.host):\(port ?? 0)", "admin": "\(adminPort.map(String.init) ?? "off")"]
        )
    }

    private func bootstrap(_ initializer: @escaping @Sendable (Channel) throws -> Void) -> ServerBootstrap {
        ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try initializer(channel) }
            }
    }

    /// Applies a new configuration to new requests; the cache and open connections survive. Listener addresses,
    /// cache sizes and `key_secret` are read at start only (a change to them is logged and ignored).
    public func reload(_ configuration: ProxyConfiguration) throws {
        let table = try RoutingTable(configuration: configuration, group: self.group)
        let old = self.proxy.swapTable(table)
        let previous = old.configuration
        if previous.server.startOnly != configuration.server.startOnly || previous.cache.memory != configuration.cache.memory
            || previous.cache.maxObject != configuration.cache.maxObject || previous.cache.keySecret != configuration.cache.keySecret
            || previous.cache.disk != configuration.cache.disk
            || previous.redis != configuration.redis
        {
            self.logger.warning(
                "listen, admin_listen, admin_token, the request limits, [redis], memory, max_object, the disk keys and key_secret apply at the next start, not on reload"
            )
        }
        Self.logWarnings(configuration, logger: self.logger)
        self.logger.info("configuration reloaded", metadata: ["summary": "\(configuration.summary)"])
        // Requests that started on the old table may still be streaming; let its clients drain. A shutdown
        // before then closes it itself (its event loops are gone afterwards).
        let grace = configuration.server.shutdownTimeout
        self.state.withLockedValue { $0.retired.append(old) }
        Task {
            try? await Task.sleep(for: grace + .seconds(1))
            let due = self.state.withLockedValue { state -> Bool in
                guard !state.stopped, let index = state.retired.firstIndex(where: { $0 === old }) else { return false }
                state.retired.remove(at: index)
                return true
            }
            if due { await old.shutdown() }
        }
    }

    /// What `reprise check` would print as warnings (a route that caches nothing for want of a secret, ...): the
    /// messages name keys and written values, never a secret.
    private static func logWarnings(_ configuration: ProxyConfiguration, logger: Logger) {
        for warning in configuration.warnings {
            logger.warning("\(warning.description)")
        }
    }

    /// Re-reads the file the server was started from. On a bad file the old configuration keeps serving and the
    /// error (every problem with line, key and fix) is returned.
    public func reloadFromFile() throws -> ProxyConfiguration {
        guard let path = self.configPath else {
            throw ReloadError(description: "this proxy was not started from a file")
        }
        let configuration = try ConfigLoader.load(path: path)
        try self.reload(configuration)
        return configuration
    }

    /// Whether the listener still accepts connections.
    public var isAccepting: Bool { self.state.withLockedValue { $0.accepting } }

    /// Requests being answered now.
    public var inFlight: Int { self.proxy.counters.inFlight.load(ordering: .relaxed) }

    /// Graceful shutdown: stops accepting, lets requests in flight finish (up to `timeout`, default the config's
    /// `shutdown_timeout`), closes the connections and the upstream clients, and stops the event loops. A cancelled
    /// task stops waiting for requests in flight.
    public func shutdown(timeout: Duration? = nil) async throws {
        let timeout = timeout ?? self.proxy.table.configuration.server.shutdownTimeout
        let channels = self.state.withLockedValue { $0.channels }
        for channel in channels { try? await channel.close() }
        self.state.withLockedValue { $0.accepting = false }
        let deadline = ContinuousClock.now + timeout
        while self.inFlight > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if self.inFlight > 0 {
            self.logger.warning("shutdown timeout: closing connections with requests in flight", metadata: ["in_flight": "\(self.inFlight)"])
        }
        let open = self.connections.withLockedValue { Array($0.values) }
        for channel in open { try? await channel.close() }
        // Every request's line reaches the access log before the process can exit.
        await self.flushAccessLog()
        await self.proxy.table.shutdown()
        let retired = self.state.withLockedValue { state -> [RoutingTable] in
            state.stopped = true
            defer { state.retired = [] }
            return state.retired
        }
        for table in retired { await table.shutdown() }
        if let sync = self.ledgerSync { try? await sync.shutdown().get() }
        if let fleet = self.proxy.fleet { try? await fleet.shutdown().get() }
        // The writes under way finish; then the directory's lock is released.
        await self.disk?.shutdown()
        try await self.group.shutdownGracefully()
    }

    /// Waits until the access log holds a line for every request finished so far.
    public func flushAccessLog() async {
        for case let accessLog as AccessLogObserver in self.proxy.observers {
            await accessLog.flush()
        }
    }

    private func track(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        self.connections.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            _ = self.connections.withLockedValue { $0.removeValue(forKey: id) }
        }
    }
}

/// Closes a connection accepted past `max_connections` as soon as it is active.
private final class RefusedConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }
}

/// A reload that could not even start (no file to read).
public struct ReloadError: Error, CustomStringConvertible {
    public var description: String
}
