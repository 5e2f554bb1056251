import NIOCore

/// What one finished request did: the single input of metrics and the access log. Every string field is a
/// configured name or a word from a fixed set (never a raw path with credentials, never a header value), except
/// `target`, which has the route's credential query parameters removed.
struct RequestRecord: Sendable {
    /// When the request head arrived (epoch seconds).
    var start: Double = 0
    var method: String = ""
    /// Path and query, credential query parameters removed.
    var target: String = ""
    /// Rule name, or "" when no rule matched.
    var rule: String = ""
    /// Upstream name, or "" when no upstream matched.
    var upstream: String = ""
    /// `rule` and `upstream` as packed metrics label ids (0: not routed); the metrics fast path keys on it.
    var labelIDs: Int = 0
    var status: Int = 0
    /// How the cache answered: see `Outcome`.
    var outcome: Outcome = .error
    /// Why the response was not stored or not used, when there is a reason (a `Cache-Status` detail token).
    var detail: String = ""
    /// Seconds from sending upstream to the upstream's response head; nil when nothing went upstream.
    var upstreamSeconds: Double?
    /// Seconds from the request head to the end of the response.
    var totalSeconds: Double = 0
    /// Body bytes written to the client.
    var bytes: Int = 0
    /// When the request was sent upstream (epoch seconds), for `upstreamSeconds`.
    var upstreamStart: Double?

    enum Outcome: String, Sendable, CaseIterable {
        /// Answered from the store (fresh, or a stale response the client accepted).
        case hit
        /// Answered from the store after the upstream confirmed it (304).
        case revalidated
        /// A stale response served by stale-while-revalidate or stale-if-error.
        case stale
        /// Answered from another request's upstream fetch (coalescing).
        case coalesced
        /// Fetched upstream on a miss (stored or not).
        case miss
        /// Forwarded without consulting the cache (rule, request no-store, body too large, no credential).
        case bypass
        /// An unsafe method (a write), forwarded untouched.
        case pass
        /// Reprise answered with an error of its own (400, 404, 413, 431, 502, 504, ...).
        case error
        /// The response did not complete: the client left, or the connection was cut (`bytes` says how far it got).
        case aborted
        /// Reprise answered itself as the final recipient (an OPTIONS or TRACE with `Max-Forwards: 0`, `OPTIONS *`).
        case local

        /// A small number per case (metrics keys).
        var index: Int {
            switch self {
            case .hit: return 0
            case .revalidated: return 1
            case .stale: return 2
            case .coalesced: return 3
            case .miss: return 4
            case .bypass: return 5
            case .pass: return 6
            case .error: return 7
            case .aborted: return 8
            case .local: return 9
            }
        }
    }
}

/// Receives one record per finished request, on the connection's event loop: implementations must be cheap and
/// thread-safe, and must not block.
protocol RequestObserver: Sendable {
    func observe(_ record: RequestRecord)

    /// The observer that a connection on `eventLoop` calls: an implementation with per-loop state (the access
    /// log's buffers) returns that loop's part; by default, itself. Asked once per connection.
    func observer(on eventLoop: EventLoop) -> RequestObserver
}

extension RequestObserver {
    func observer(on eventLoop: EventLoop) -> RequestObserver { self }
}
