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

    public static let defaultListen = HostPort(host: "127.0.0.1", port: 8080)

    public init(
        listen: HostPort = ServerSettings.defaultListen,
        adminListen: HostPort? = nil,
        adminToken: String? = nil,
        maxRequestBody: Int = 64 << 20,
        maxHeaderBytes: Int = 32 << 10,
        shutdownTimeout: Duration = .seconds(10)
    ) {
        self.listen = listen
        self.adminListen = adminListen
        self.adminToken = adminToken
        self.maxRequestBody = maxRequestBody
        self.maxHeaderBytes = maxHeaderBytes
        self.shutdownTimeout = shutdownTimeout
    }
}
