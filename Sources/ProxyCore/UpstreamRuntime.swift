import AsyncHTTPClient
import NIOCore
import NIOSSL
import ProxyConfig

/// One configured upstream with its pooled HTTP client (one client per upstream: each may trust its own CA).
final class UpstreamRuntime: Sendable {
    let settings: UpstreamSettings
    let client: HTTPClient
    /// "scheme://authority" + base path, without a trailing slash.
    let base: String
    /// The upstream's name as a metrics label id (`MetricLabelIDs`).
    let labelID: Int

    init(settings: UpstreamSettings, group: EventLoopGroup) throws {
        self.settings = settings
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(
            connect: .init(settings.connectTimeout),
            read: .init(settings.readTimeout)
        )
        // Never retry a request or a refused connection: a dead upstream is answered with 502 at once.
        // Idle upstream connections are closed after 4 s: below the 5 s keep-alive timeout of uvicorn and Node,
        // so Reprise does not send a request on a connection the upstream is closing at that moment.
        configuration.connectionPool = .init(idleTimeout: .seconds(4), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        configuration.connectionPool.retryConnectionEstablishment = false
        if settings.url.isTLS {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = settings.caFile {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            configuration.tlsConfiguration = tls
        }
        self.client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
        self.base = "\(settings.url.scheme)://\(settings.url.authority)\(settings.url.basePath)"
        self.labelID = MetricLabelIDs.id(settings.name)
    }

    /// The upstream URL for a client target: the prefix is stripped, the base path put in front.
    func url(forClientTarget target: String) -> String {
        let prefix = self.settings.prefix
        var rest = prefix == "/" ? Substring(target) : target.dropFirst(prefix.count)
        if rest.isEmpty || rest.first == "?" { rest = "/" + rest }
        return self.base + rest
    }

    /// The client path for a path in the upstream's URL space (for `Location` / `Content-Location`).
    func clientPath(forUpstreamPath path: String) -> String? {
        let basePath = self.settings.url.basePath
        guard path.hasPrefix(basePath) else { return nil }
        let rest = path.dropFirst(basePath.count)
        let prefix = self.settings.prefix == "/" ? "" : self.settings.prefix
        return prefix + (rest.isEmpty ? "/" : String(rest))
    }

    func shutdown() async throws {
        try await self.client.shutdown()
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension Duration {
    /// Seconds as a Double, for the RFC code.
    var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
