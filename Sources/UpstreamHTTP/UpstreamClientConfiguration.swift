import NIOCore
import NIOSSL

/// Timeouts, pooling limits and TLS settings of an ``UpstreamClient``.
public struct UpstreamClientConfiguration: Sendable {
    /// Maximum time to establish the TCP connection (name resolution included).
    public var connectTimeout: TimeAmount
    /// Maximum wait for the next upstream bytes while the client wants them: from the moment the request
    /// is fully sent (or the response has begun) until the response ends. Time spent paused by the
    /// handler's backpressure, or idle in the pool, does not count. A TLS handshake that stalls after
    /// the request was queued counts here too.
    public var readTimeout: TimeAmount
    /// Pooled idle connections are closed after this long, well before a typical origin's keep-alive
    /// timeout (5 s or more), so that a request rarely lands on a connection the origin is closing.
    public var idleTimeout: TimeAmount
    /// Idle connections kept per event loop; a connection released beyond this is closed.
    public var maxIdlePerEventLoop: Int
    /// The longest response head the upstream may send (status line and fields, interim heads included; also
    /// bounds a chunked body's trailers). A longer one fails the call with ``UpstreamError/Kind/protocolError``.
    public var maxResponseHeadBytes: Int
    /// Used when the endpoint is TLS; the caller sets its trust roots (`ca_file`). `nil` means the
    /// default client configuration (system trust roots, full verification).
    public var tlsConfiguration: TLSConfiguration?

    public init(
        connectTimeout: TimeAmount = .seconds(10),
        readTimeout: TimeAmount = .seconds(60),
        idleTimeout: TimeAmount = .seconds(4),
        maxIdlePerEventLoop: Int = 64,
        maxResponseHeadBytes: Int = 64 << 10,
        tlsConfiguration: TLSConfiguration? = nil
    ) {
        self.maxResponseHeadBytes = maxResponseHeadBytes
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.maxIdlePerEventLoop = maxIdlePerEventLoop
        self.tlsConfiguration = tlsConfiguration
    }
}
