import NIOCore
import NIOHTTP1
import NIOSSL
import Observability
import ProxyConfig
import UpstreamHTTP

/// One configured upstream with its pooled HTTP/1.1 client (one client per upstream: each may trust its own CA).
final class UpstreamRuntime: Sendable {
    let settings: UpstreamSettings
    let client: UpstreamClient
    /// The upstream's name as a metrics label id (`MetricLabelIDs`).
    let labelID: Int
    /// The `Host` field sent upstream (`UpstreamURL.authority`), built once rather than on every request.
    let hostField: String

    init(settings: UpstreamSettings, group: EventLoopGroup) throws {
        self.settings = settings
        var tls: TLSConfiguration?
        if settings.url.isTLS {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile = settings.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            tls = configuration
        }
        // Never retry a request or a refused connection: a dead upstream is answered with 502 at once.
        // Idle upstream connections are closed after `idle_timeout` (4 s by default: below the 5 s keep-alive timeout
        // of uvicorn and Node, so Reprise does not send a request on a connection the upstream is closing then).
        let configuration = UpstreamClientConfiguration(
            connectTimeout: TimeAmount(settings.connectTimeout),
            readTimeout: TimeAmount(settings.readTimeout),
            idleTimeout: TimeAmount(settings.idleTimeout),
            maxIdlePerEventLoop: 256,
            maxResponseHeadBytes: settings.maxUpstreamHeaderBytes,
            tlsConfiguration: tls
        )
        self.client = try UpstreamClient(
            endpoint: UpstreamEndpoint(host: settings.url.host, port: settings.url.port, tls: settings.url.isTLS),
            configuration: configuration,
            group: group
        )
        self.labelID = MetricLabelIDs.id(settings.name)
        self.hostField = settings.url.authority
    }

    /// The request target upstream for a client target: the prefix is stripped, the base path put in front.
    func target(forClientTarget target: String) -> String {
        let prefix = self.settings.prefix
        var rest = prefix == "/" ? Substring(target) : target.dropFirst(prefix.count)
        if rest.isEmpty || rest.first == "?" { rest = "/" + rest }
        return self.settings.url.basePath + rest
    }

    /// The request head sent upstream: HTTP/1.1 whatever the client spoke, and the client's body framing.
    /// `forwarded` holds the upstream's `Host` and no framing fields (see `ForwardedHeaders.request`).
    func requestHead(
        method: HTTPMethod,
        clientTarget: String,
        clientHeaders: HTTPHeaders,
        forwarded: consuming HTTPHeaders
    ) -> (head: HTTPRequestHead, body: UpstreamRequestBody) {
        // Taken as it is (no copy): `ForwardedHeaders.request(_:peer:upstreamHost:)` put this upstream's `Host` first.
        var headers = forwarded
        var body = UpstreamRequestBody.none
        if let length = clientHeaders.first(name: "content-length") {
            headers.add(name: "content-length", value: length)
            if (Int(length) ?? 0) > 0 { body = .streamed }
        } else if clientHeaders.contains(name: "transfer-encoding") {
            // A chunked upload goes on chunked (the client's chunk boundaries are not kept).
            headers.add(name: "transfer-encoding", value: "chunked")
            body = .streamed
        } else if method == .POST || method == .PUT || method == .PATCH {
            // A write without a body says so: no length would make the upstream wait for one (or read chunks).
            headers.add(name: "content-length", value: "0")
        }
        let head = HTTPRequestHead(
            version: .http1_1,
            method: ForwardedHeaders.wireMethod(method),
            uri: self.target(forClientTarget: clientTarget),
            headers: headers
        )
        return (head, body)
    }

    /// The client path for a path in the upstream's URL space (for `Location` / `Content-Location`).
    func clientPath(forUpstreamPath path: String) -> String? {
        let basePath = self.settings.url.basePath
        guard path.hasPrefix(basePath) else { return nil }
        let rest = path.dropFirst(basePath.count)
        let prefix = self.settings.prefix == "/" ? "" : self.settings.prefix
        return prefix + (rest.isEmpty ? "/" : String(rest))
    }

    func shutdown() async {
        await self.client.shutdown()
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
