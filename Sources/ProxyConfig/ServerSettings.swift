/// `[server]`: where the proxy listens and the limits it puts on clients.
public struct ServerSettings: Sendable, Equatable {
    public var listen: HostPort
    /// Admin API, /metrics and dashboard; nil = no admin listener.
    public var adminListen: HostPort?
    /// Bearer token for the admin API (a secret: never log it). Set whenever `adminListen` is.
    public var adminToken: String?
    /// Larger request bodies are answered with 413.
    public var maxRequestBody: Int
    /// Larger request heads are answered with 431.
    public var maxHeaderBytes: Int
    /// How long in-flight requests get to finish on shutdown.
    public var shutdownTimeout: Duration
    /// More header fields than this in a request head are answered with 431.
    public var maxHeaderFields: Int
    /// Peers whose forwarding fields (`X-Forwarded-*`, `Forwarded`) are believed; empty: nobody's.
    public var trustedProxies: [AddressRange]
    /// A `GET` or `HEAD` with a body: refused (400) or passed through uncached.
    public var getWithBody: GetWithBody
    /// `TRACE` is forwarded (or answered, with `Max-Forwards: 0`) only when true; else 405.
    public var allowTrace: Bool

    // Deadlines of a client connection's phases (RFC 9112 §9.8 lets a server close idle connections).

    /// From a request head's first byte (a new connection's accept, for its first request) to its end: else 408.
    public var clientHeaderTimeout: Duration
    /// The longest wait between two reads of a request body: else 408, or a cut once the response has begun.
    public var clientBodyTimeout: Duration
    /// How long a kept-alive connection may sit idle between requests.
    public var keepaliveTimeout: Duration
    /// How long a client may leave its response unread (the connection not writable) before it is cut.
    public var sendTimeout: Duration
    /// Open client connections above this are closed at accept.
    public var maxConnections: Int

    public static let defaultListen = HostPort(host: "127.0.0.1", port: 8080)

    public init(
        listen: HostPort = ServerSettings.defaultListen,
        adminListen: HostPort? = nil,
        adminToken: String? = nil,
        maxRequestBody: Int = 64 << 20,
        maxHeaderBytes: Int = 32 << 10,
        shutdownTimeout: Duration = .seconds(10),
        maxHeaderFields: Int = 100,
        trustedProxies: [AddressRange] = [],
        getWithBody: GetWithBody = .reject,
        allowTrace: Bool = false,
        clientHeaderTimeout: Duration = .seconds(10),
        clientBodyTimeout: Duration = .seconds(30),
        keepaliveTimeout: Duration = .seconds(60),
        sendTimeout: Duration = .seconds(30),
        maxConnections: Int = 10_000
    ) {
        self.listen = listen
        self.adminListen = adminListen
        self.adminToken = adminToken
        self.maxRequestBody = maxRequestBody
        self.maxHeaderBytes = maxHeaderBytes
        self.shutdownTimeout = shutdownTimeout
        self.maxHeaderFields = maxHeaderFields
        self.trustedProxies = trustedProxies
        self.getWithBody = getWithBody
        self.allowTrace = allowTrace
        self.clientHeaderTimeout = clientHeaderTimeout
        self.clientBodyTimeout = clientBodyTimeout
        self.keepaliveTimeout = keepaliveTimeout
        self.sendTimeout = sendTimeout
        self.maxConnections = maxConnections
    }

    /// The settings a reload cannot change: listener addresses, the admin token and the parser's limits.
    public var startOnly: StartOnly {
        StartOnly(
            listen: self.listen,
            adminListen: self.adminListen,
            adminToken: self.adminToken,
            maxRequestBody: self.maxRequestBody,
            maxHeaderBytes: self.maxHeaderBytes,
            maxHeaderFields: self.maxHeaderFields
        )
    }

    public struct StartOnly: Equatable, Sendable {
        var listen: HostPort
        var adminListen: HostPort?
        var adminToken: String?
        var maxRequestBody: Int
        var maxHeaderBytes: Int
        var maxHeaderFields: Int
    }
}
