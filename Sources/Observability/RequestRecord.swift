import NIOCore

/// What one finished request did: the single input of metrics and the access log. Every string field is a
/// configured name or a word from a fixed set (never a raw path with credentials, never a header value), except
/// `target`, which has the route's credential query parameters removed.
public struct RequestRecord: Sendable {
    /// When the request head arrived (epoch seconds).
    public var start: Double = 0
    public var method: String = ""
    /// Path and query, credential query parameters removed.
    public var target: String = ""
    /// Rule name, or "" when no rule matched.
    public var rule: String = ""
    /// Upstream name, or "" when no upstream matched.
    public var upstream: String = ""
    /// `rule` and `upstream` as packed metrics label ids (0: not routed); the metrics fast path keys on it.
    public var labelIDs: Int = 0
    public var status: Int = 0
    /// How the cache answered and why: the phase and reason, the same value the `Cache-Status` came from.
    public var outcome = RequestOutcome(.error)
    /// The phase alone.
    public var phase: CachePhase {
        get { self.outcome.phase }
        set { self.outcome.phase = newValue }
    }
    /// The `Cache-Status` detail token ("" without a reason).
    public var detail: String { self.outcome.detail }
    /// Seconds from sending upstream to the upstream's response head; nil when nothing went upstream.
    public var upstreamSeconds: Double?
    /// Seconds from the request head to the end of the response.
    public var totalSeconds: Double = 0
    /// Body bytes written to the client.
    public var bytes: Int = 0
    /// When the request was sent upstream (epoch seconds), for `upstreamSeconds`.
    public var upstreamStart: Double?
}

extension RequestRecord {
    /// A record begun when a request head arrived (the memberwise initializer stays internal, for tests).
    public init(start: Double, method: String, target: String) {
        self.start = start
        self.method = method
        self.target = target
    }
}

/// Receives one record per finished request, on the connection's event loop: implementations must be cheap and
/// thread-safe, and must not block.
public protocol RequestObserver: Sendable {
    func observe(_ record: RequestRecord)

    /// The observer that a connection on `eventLoop` calls: an implementation with per-loop state (the access
    /// log's buffers) returns that loop's part; by default, itself. Asked once per connection.
    func observer(on eventLoop: EventLoop) -> RequestObserver
}

extension RequestObserver {
    public func observer(on eventLoop: EventLoop) -> RequestObserver { self }
}
