import NIOCore

/// Where and how to reach a Redis server, and the time limits of a connection to it.
///
/// proxy.conf's `[redis] url` is parsed by ProxyConfig (`RedisEndpoint`), which reports problems with line and fix.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or IP address of the server.
    public var host: String
    /// TCP port of the server.
    public var port: Int
    /// Password sent with `AUTH` on every (re)connect; `nil` sends no `AUTH`.
    public var password: String?
    /// ACL user name sent with `AUTH` (Redis 6+). Used only together with ``password``.
    public var username: String?
    /// Database selected with `SELECT` on every (re)connect when not 0. Pub/sub ignores it.
    public var database: Int
    /// How long a TCP connect may take before the attempt counts as failed.
    public var connectTimeout: TimeAmount
    /// How long a command (and the connect-time handshake) may wait for its reply. A command
    /// that times out closes the connection, which then reconnects.
    public var commandTimeout: TimeAmount
    /// The waits between reconnect attempts.
    public var reconnectBackoff: Backoff

    /// Creates a configuration; every parameter has the default a local Redis needs.
    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        password: String? = nil,
        username: String? = nil,
        database: Int = 0,
        connectTimeout: TimeAmount = .milliseconds(250),
        commandTimeout: TimeAmount = .milliseconds(250),
        reconnectBackoff: Backoff = Backoff()
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.username = username
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoff = reconnectBackoff
    }
}

extension RedisConfiguration {
    /// Exponential backoff between reconnect attempts: the first retry waits ``initial``, each
    /// further consecutive failure doubles the wait, up to ``max``. A successful (re)connect
    /// starts over at ``initial``.
    public struct Backoff: Sendable, Equatable {
        /// The wait before the first retry.
        public var initial: TimeAmount
        /// The longest wait between two attempts.
        public var max: TimeAmount

        /// Creates a backoff; the defaults are 50 ms doubling up to 2 s.
        public init(initial: TimeAmount = .milliseconds(50), max: TimeAmount = .seconds(2)) {
            self.initial = initial
            self.max = max
        }

        /// The wait before the next attempt after `failures` consecutive failures
        /// (0 gives ``initial``).
        public func delay(afterFailures failures: Int) -> TimeAmount {
            let shift = Swift.min(Swift.max(failures, 0), 32)
            let (doubled, overflow) = self.initial.nanoseconds.multipliedReportingOverflow(by: 1 << shift)
            if overflow || doubled > self.max.nanoseconds {
                return self.max
            }
            return .nanoseconds(doubled)
        }
    }
}
