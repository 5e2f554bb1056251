import CacheStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyConfig

/// The running proxy: the client listener, the admin listener, the store and the upstream clients.
public final class ProxyServer: Sendable {
    let proxy: ProxyContext
    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    private let state = NIOLockedValueBox(ListenerState())

    private struct ListenerState {
        var channels: [Channel] = []
        var port: Int?
        var adminPort: Int?
        var configuration: ProxyConfiguration?
    }

    public init(
        configuration: ProxyConfiguration,
        clock: WallClock = .system,
        logger: Logger = Logger(label: "reprise"),
        threads: Int = System.coreCount
    ) throws {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.logger = logger
        let table = try RoutingTable(configuration: configuration, group: self.group)
        let secret = configuration.cache.keySecret.map { Array($0.utf8) } ?? CredentialHasher.randomSecret()
        self.proxy = ProxyContext(
            table: table,
            store: MemoryStore<LRUPolicy>(budget: configuration.cache.memory, maxObject: configuration.cache.maxObject),
            hasher: CredentialHasher(secret: secret),
            clock: clock,
            logger: logger
        )
        self.state.withLockedValue { $0.configuration = configuration }
    }

    /// The cache (for tests and the admin API).
    public var store: MemoryStore<LRUPolicy> { self.proxy.store }

    /// The bound client port (after `start()`).
    public var port: Int { self.state.withLockedValue { $0.port ?? 0 } }

    /// The bound admin port, when an admin listener is configured.
    public var adminPort: Int? { self.state.withLockedValue { $0.adminPort } }

    public var configuration: ProxyConfiguration { self.proxy.table.configuration }

    /// stale-while-revalidate refreshes running now.
    public var backgroundRefreshes: Int { self.proxy.refresher.count }

    /// Binds the listeners.
    public func start() async throws {
        let configuration = self.proxy.table.configuration
        let server = configuration.server
        let proxy = self.proxy
        let limits = ProxyHandler.Limits(maxRequestBody: server.maxRequestBody)
        let decoderLimits = {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderListSize = server.maxHeaderBytes
            limits.maxHeaderFieldSize = server.maxHeaderBytes
            return limits
        }()
        let main = try await self.bootstrap { channel in
            // The request decoder only: ProxyHandler writes its own responses and orders pipelined requests.
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits))
            )
            try channel.pipeline.syncOperations.addHandler(ProxyHandler(proxy: proxy, limits: limits))
        }
        .bind(host: server.listen.host, port: server.listen.port).get()
        var channels = [main]
        var adminPort: Int?
        if let adminListen = server.adminListen {
            let admin = AdminAPI(server: self, token: server.adminToken ?? "")
            let adminChannel = try await self.bootstrap { channel in
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(AdminHandler(api: admin))
            }
            .bind(host: adminListen.host, port: adminListen.port).get()
            channels.append(adminChannel)
            adminPort = adminChannel.localAddress?.port
        }
        let port = main.localAddress?.port
        self.state.withLockedValue {
            $0.channels = channels
            $0.port = port
            $0.adminPort = adminPort
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
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try initializer(channel) }
            }
    }

    /// Applies a new configuration to new requests; the cache and open connections survive. Listener addresses
    /// and cache sizes are read at start only.
    public func reload(_ configuration: ProxyConfiguration) async throws {
        let table = try RoutingTable(configuration: configuration, group: self.group)
        let old = self.proxy.swapTable(table)
        self.logger.info("configuration reloaded", metadata: ["summary": "\(configuration.summary)"])
        // Requests that started on the old table may still be streaming; let its clients drain.
        Task {
            try? await Task.sleep(for: .seconds(Int64(configuration.server.shutdownTimeout.components.seconds) + 1))
            await old.shutdown()
        }
    }

    /// Stops accepting, closes the listeners and the upstream clients, and stops the event loops.
    public func shutdown() async throws {
        let channels = self.state.withLockedValue { $0.channels }
        for channel in channels { try? await channel.close() }
        await self.proxy.table.shutdown()
        try await self.group.shutdownGracefully()
    }
}
