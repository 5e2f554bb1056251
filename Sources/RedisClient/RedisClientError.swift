/// Why a command got no reply. A failed future always means transport trouble; a reply that
/// Redis sent, error replies included, arrives as a ``RESP/RESPValue``.
public enum RedisClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection is not (yet, or no longer) up; the command was not sent.
    case notConnected
    /// No reply came within the command timeout; the connection was closed to resynchronise.
    case timeout
    /// The connection closed before the reply came.
    case connectionClosed
    /// The server sent bytes that are not valid RESP2, or a reply nothing asked for.
    case protocolError(String)

    /// A one-line explanation for logs and error messages.
    public var description: String {
        switch self {
        case .notConnected: return "not connected to Redis"
        case .timeout: return "Redis command timed out"
        case .connectionClosed: return "Redis connection closed before the reply"
        case .protocolError(let detail): return "Redis protocol error: \(detail)"
        }
    }
}
