import NIOCore
import NIOHTTP1
import NIOSSL

/// A small HTTP/1.1 client for one upstream origin, made for a proxy.
///
/// Unlike AsyncHTTPClient it passes interim (1xx) responses through, as RFC 9110 §15.2 requires of a
/// proxy, and it keeps each upstream connection on the event loop of the client connection that
/// uses it, with one idle pool per event loop, so no callback hops threads. It never retries a
/// request, not even on a reused connection: the origin must never see a request twice.
public final class UpstreamClient: Sendable {
    public let endpoint: UpstreamEndpoint
    public let configuration: UpstreamClientConfiguration
    private let connector: UpstreamConnector
    private let pools: UpstreamPoolTable
    /// The `Host` value added to requests that have none.
    private let hostHeader: String

    /// Builds the TLS context once (when the endpoint is TLS) and an idle pool for every loop of `group`.
    public init(endpoint: UpstreamEndpoint, configuration: UpstreamClientConfiguration, group: EventLoopGroup) throws {
        self.endpoint = endpoint
        self.configuration = configuration
        var sslContext: NIOSSLContext?
        if endpoint.tls {
            let tls = configuration.tlsConfiguration ?? TLSConfiguration.makeClientConfiguration()
            sslContext = try NIOSSLContext(configuration: tls)
        }
        self.connector = UpstreamConnector(
            endpoint: endpoint,
            connectTimeout: configuration.connectTimeout,
            sslContext: sslContext
        )
        self.pools = UpstreamPoolTable(
            group: group,
            idleTimeout: configuration.idleTimeout,
            maxIdle: configuration.maxIdlePerEventLoop
        )
        self.hostHeader = Self.hostHeader(for: endpoint)
    }

    // MARK: Calls

    /// Starts a request. Must be called on `eventLoop`; the handler is called on it, and the upstream
    /// connection lives on it. Reuses the most recently idle connection of that loop, or opens one.
    /// Nothing is called back before this returns.
    public func execute(
        _ head: HTTPRequestHead,
        body: UpstreamRequestBody,
        on eventLoop: EventLoop,
        handler: UpstreamResponseHandler
    ) -> UpstreamCall {
        eventLoop.preconditionInEventLoop()
        let call = UpstreamCall(head: head, body: body, eventLoop: eventLoop, handler: handler)
        let pool = self.pools.pool(for: eventLoop)
        if pool.isShutdown {
            eventLoop.assumeIsolated().execute {
                call.connectFailed(UpstreamError(.shutdown, detail: "the upstream client is shut down"))
            }
            return call
        }
        if let connection = pool.take() {
            call.attach(connection)
            return call
        }
        let connection = UpstreamConnection(
            eventLoop: eventLoop,
            readTimeout: self.configuration.readTimeout,
            maxResponseHeadBytes: self.configuration.maxResponseHeadBytes,
            hostHeader: self.hostHeader,
            pool: pool
        )
        self.connector.connect(connection, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success:
                if call.isCancelled {
                    // Nothing was sent on it: a fresh connection is as good as an idle one.
                    if !pool.park(connection) {
                        connection.close()
                    }
                } else {
                    call.attach(connection)
                }
            case .failure(let error):
                call.connectFailed(UpstreamError(connecting: error))
            }
        }
        return call
    }

    // MARK: Lifecycle

    /// Closes the idle connections of every loop; calls executed afterwards fail with `.shutdown`.
    /// Calls in flight run to their end, and their connections are then closed.
    public func shutdown() async {
        var closed: [EventLoopFuture<Void>] = []
        for box in self.pools.markShutdownAndListPools() {
            closed.append(box.eventLoop.flatSubmit { box.value.shutdown() })
        }
        for future in closed {
            try? await future.get()
        }
    }

    /// The number of idle pooled connections of `eventLoop`, for metrics and tests.
    public func idleConnectionCount(on eventLoop: EventLoop) -> EventLoopFuture<Int> {
        let pools = self.pools
        return eventLoop.submit { pools.pool(for: eventLoop).idleCount }
    }

    // MARK: Helpers

    private static func hostHeader(for endpoint: UpstreamEndpoint) -> String {
        let host = endpoint.host.contains(":") ? "[\(endpoint.host)]" : endpoint.host
        let defaultPort = endpoint.tls ? 443 : 80
        return endpoint.port == defaultPort ? host : "\(host):\(endpoint.port)"
    }
}
