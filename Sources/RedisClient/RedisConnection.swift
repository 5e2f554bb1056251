import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP

/// A single, self-healing, pipelined command connection to Redis.
///
/// ``start()`` connects in the background and keeps reconnecting (exponential backoff, see
/// ``RedisConfiguration/Backoff``) until ``close()``. Each (re)connect sends `AUTH` (when a
/// password is configured) and `SELECT` (when the database is not 0) before the connection
/// counts as connected.
///
/// Commands never queue while disconnected: ``send(_:)-([ByteBuffer])`` fails at once with
/// ``RedisClientError/notConnected``. Redis error replies arrive as ``RESP/RESPValue/error(_:)``
/// values; a failed future means transport trouble only (see ``RedisClientError``). A command
/// unanswered after ``RedisConfiguration/commandTimeout`` fails with
/// ``RedisClientError/timeout`` and closes the connection, which then reconnects, because a
/// late reply would be taken for the answer to the next command; the other commands in flight
/// fail with ``RedisClientError/connectionClosed``.
///
/// Call ``close()`` when done: a started connection keeps itself alive while it reconnects.
///
/// Thread safety: every method may be called from any thread. The connection itself is confined
/// to ``eventLoop``; the state, generation and callbacks are behind locks. Futures complete and
/// callbacks run on ``eventLoop``, so they must not block.
public final class RedisConnection: Sendable {
    /// The configuration this connection was created with.
    public let configuration: RedisConfiguration
    /// The event loop the connection and its futures live on.
    public let eventLoop: EventLoop

    private let supervisor: RedisChannelSupervisor
    private let callbacks: NIOLockedValueBox<Callbacks>

    private struct Callbacks: Sendable {
        var onConnect: (@Sendable (Int) -> Void)?
        var onStateChange: (@Sendable (RedisConnectionState) -> Void)?
    }

    /// Creates a connection; nothing happens until ``start()``.
    public init(configuration: RedisConfiguration, eventLoop: EventLoop, logger: Logger) {
        let callbacks = NIOLockedValueBox(Callbacks())
        let handshake = RedisHandshake.commands(for: configuration, selectDatabase: true)
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.callbacks = callbacks
        self.supervisor = RedisChannelSupervisor(
            configuration: configuration,
            eventLoop: eventLoop,
            logger: logger,
            setup: { _, handler in
                RedisHandshake.run(handshake, on: handler, eventLoop: eventLoop)
            },
            observer: { state, generation in
                let current = callbacks.withLockedValue { $0 }
                current.onStateChange?(state)
                if state == .connected {
                    current.onConnect?(generation)
                }
            }
        )
    }

    /// Called on the event loop after every successful (re)connect with the new
    /// ``connectedGeneration``. Set it before ``start()`` so the first connect is not missed.
    public var onConnect: (@Sendable (_ generation: Int) -> Void)? {
        get { self.callbacks.withLockedValue { $0.onConnect } }
        set { self.callbacks.withLockedValue { $0.onConnect = newValue } }
    }

    /// Called on the event loop on every change of ``state``.
    public var onStateChange: (@Sendable (RedisConnectionState) -> Void)? {
        get { self.callbacks.withLockedValue { $0.onStateChange } }
        set { self.callbacks.withLockedValue { $0.onStateChange = newValue } }
    }

    /// Where the connection is in its connect/reconnect cycle; readable from any thread.
    public var state: RedisConnectionState {
        self.supervisor.state
    }

    /// How many times the connection has (re)connected successfully: 0 until the first
    /// connect, then 1, 2, ... Readable from any thread.
    public var connectedGeneration: Int {
        self.supervisor.generation
    }

    /// Begins connecting in the background. Never fails: failures show in ``state`` and lead
    /// to a reconnect after the backoff. Calls after the first do nothing.
    public func start() {
        self.supervisor.start()
    }

    /// Stops reconnecting and closes the connection; commands in flight fail with
    /// ``RedisClientError/connectionClosed``. The connection cannot be started again.
    @discardableResult
    public func close() -> EventLoopFuture<Void> {
        self.supervisor.close()
    }

    /// Sends one command, given as its arguments (`["SET", key, value]`), binary-safe.
    ///
    /// - Returns: Redis' reply, error replies included; fails only with ``RedisClientError``.
    public func send(_ args: [ByteBuffer]) -> EventLoopFuture<RESPValue> {
        // On the connection's event loop (every request of a one-loop instance), no closure to run it through.
        if let handler = self.supervisor.readyHandlerOnLoop() { return handler.send(args) }
        return self.supervisor.withReadyHandler { handler in
            handler.send(args)
        }
    }

    /// Sends one command whose arguments are strings (sent as UTF-8).
    public func send(_ args: String...) -> EventLoopFuture<RESPValue> {
        self.send(args.map { ByteBuffer(string: $0) })
    }

    /// Sends several commands in one buffer (flushed with the rest of this pass of the event loop).
    ///
    /// - Returns: the replies in the order of `commands`; fails (with the first transport
    ///   failure) if any command got no reply.
    public func pipeline(_ commands: [[ByteBuffer]]) -> EventLoopFuture<[RESPValue]> {
        guard !commands.isEmpty else {
            return self.eventLoop.makeSucceededFuture([])
        }
        let eventLoop = self.eventLoop
        return self.supervisor.withReadyHandler { handler in
            EventLoopFuture.whenAllSucceed(handler.send(commands), on: eventLoop)
        }
    }
}
