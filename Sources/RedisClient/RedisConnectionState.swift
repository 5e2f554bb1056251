/// Where a ``RedisConnection`` (or ``RedisSubscriber``) is in its connect/reconnect cycle.
public enum RedisConnectionState: Sendable, Equatable, CustomStringConvertible {
    /// A TCP connect or the handshake (AUTH, SELECT, SUBSCRIBE) is under way.
    case connecting
    /// Connected and ready for commands (for a subscriber: subscribed).
    case connected
    /// Not connected; `lastError` says why (the last failure, "not started" or "closed"). A
    /// reconnect follows after the backoff unless the connection was closed.
    case disconnected(lastError: String)

    /// A one-line explanation for logs and error messages.
    public var description: String {
        switch self {
        case .connecting: return "connecting"
        case .connected: return "connected"
        case .disconnected(let lastError): return "disconnected (\(lastError))"
        }
    }
}
