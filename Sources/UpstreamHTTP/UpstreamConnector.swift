import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Opens connections to the endpoint, each on the event loop of the call that needs it.
struct UpstreamConnector: Sendable {
    let endpoint: UpstreamEndpoint
    let connectTimeout: TimeAmount
    /// Built once by the client: making an `NIOSSLContext` parses the trust roots.
    let sslContext: NIOSSLContext?
    /// SNI name; nil for an IP literal host.
    let serverHostname: String?

    init(endpoint: UpstreamEndpoint, connectTimeout: TimeAmount, sslContext: NIOSSLContext?) {
        self.endpoint = endpoint
        self.connectTimeout = connectTimeout
        self.sslContext = sslContext
        self.serverHostname = Self.isIPLiteral(endpoint.host) ? nil : endpoint.host
    }

    /// Connects on `eventLoop` with `connection` as the last handler. Must be called on `eventLoop`.
    ///
    /// The pipeline is TLS (if any), then the connection, which encodes its requests (`RequestWire`) and parses the
    /// responses (`ResponseParser`) itself.
    func connect(_ connection: UpstreamConnection, on eventLoop: EventLoop) -> EventLoopFuture<Channel> {
        let boundConnection = NIOLoopBound(connection, eventLoop: eventLoop)
        let sslContext = self.sslContext
        let serverHostname = self.serverHostname
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(self.connectTimeout)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try pipeline.addHandler(boundConnection.value)
                }
            }
            .connect(host: self.endpoint.host, port: self.endpoint.port)
    }

    /// RFC 6066 §3: SNI carries host names only, never IPv4 or IPv6 literals.
    static func isIPLiteral(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
