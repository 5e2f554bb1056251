/// Where an ``UpstreamClient`` sends its requests: one origin, plain or TLS.
///
/// `host` is a DNS name or an IP literal without brackets (`::1`, not `[::1]`); TLS sends it as SNI only
/// when it is a name, since RFC 6066 forbids IP literals in SNI.
public struct UpstreamEndpoint: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var tls: Bool

    public init(host: String, port: Int, tls: Bool) {
        self.host = host
        self.port = port
        self.tls = tls
    }
}
