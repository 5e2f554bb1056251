import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP

/// A dedicated pub/sub connection: it subscribes to a fixed set of channels and hands every
/// message to `onMessage`.
///
/// Like ``RedisConnection`` it reconnects with backoff until ``close()``. Each (re)connect sends
/// `AUTH` (when configured; no `SELECT`, pub/sub ignores databases) and `SUBSCRIBE`, and once
/// Redis has confirmed every channel, calls `onSubscribed` with a new generation. Messages
/// published while the subscriber was cut off are lost, so an `onSubscribed` with a generation
/// above 1 tells the owner to resynchronise whatever the messages keep up to date.
///
/// Call ``close()`` when done: a started subscriber keeps itself alive while it reconnects.
///
/// Thread safety: every method may be called from any thread; the connection is confined to its
/// event loop and the state is behind a lock. Both callbacks run on the event loop, in the order
/// Redis sent the messages, and must not block.
public final class RedisSubscriber: Sendable {
    /// The channels subscribed to on every (re)connect.
    public let channels: [String]

    private let supervisor: RedisChannelSupervisor
    private let stateObserver: NIOLockedValueBox<(@Sendable (RedisConnectionState) -> Void)?>

    /// Creates a subscriber; nothing happens until ``start()``.
    ///
    /// - Parameters:
    ///   - channels: the channels to subscribe to.
    ///   - onMessage: called with the channel and the payload of every message.
    ///   - onSubscribed: called after the subscriptions of each (re)connect are confirmed, with
    ///     the generation (1 for the first connect, then 2, 3, ...).
    public init(
        configuration: RedisConfiguration,
        eventLoop: EventLoop,
        logger: Logger,
        channels: [String],
        onMessage: @escaping @Sendable (_ channel: String, _ payload: ByteBuffer) -> Void,
        onSubscribed: @escaping @Sendable (_ generation: Int) -> Void
    ) {
        let auth = RedisHandshake.commands(for: configuration, selectDatabase: false)
        let subscribe = [ByteBuffer(string: "SUBSCRIBE")] + channels.map { ByteBuffer(string: $0) }
        let channelCount = channels.count
        let stateObserver = NIOLockedValueBox<(@Sendable (RedisConnectionState) -> Void)?>(nil)
        self.channels = channels
        self.stateObserver = stateObserver
        self.supervisor = RedisChannelSupervisor(
            configuration: configuration,
            eventLoop: eventLoop,
            logger: logger,
            setup: { channel, handler in
                let progress = SubscriptionProgress(
                    eventLoop: eventLoop,
                    expectedConfirmations: channelCount,
                    onMessage: onMessage
                )
                channel.closeFuture.assumeIsolated().whenComplete { _ in
                    progress.fail(RedisClientError.connectionClosed)
                }
                handler.pushHandler = { value in
                    try progress.handle(value)
                }
                // AUTH is answered first and through the command queue; SUBSCRIBE follows in the
                // same round trip and its confirmations arrive as pushes.
                RedisHandshake.run(auth, on: handler, eventLoop: eventLoop).assumeIsolated().whenFailure { error in
                    progress.fail(error)
                }
                if channelCount > 0 {
                    handler.sendExpectingPushes(subscribe)
                }
                return progress.confirmed
            },
            observer: { state, generation in
                stateObserver.withLockedValue { $0 }?(state)
                if state == .connected {
                    onSubscribed(generation)
                }
            }
        )
    }

    /// Called on the event loop on every change of ``state``.
    public var onStateChange: (@Sendable (RedisConnectionState) -> Void)? {
        get { self.stateObserver.withLockedValue { $0 } }
        set { self.stateObserver.withLockedValue { $0 = newValue } }
    }

    /// Whether every channel is subscribed on a live connection; readable from any thread.
    public var isSubscribed: Bool {
        self.supervisor.state == .connected
    }

    /// Where the subscriber is in its connect/reconnect cycle; readable from any thread.
    public var state: RedisConnectionState {
        self.supervisor.state
    }

    /// Begins connecting and subscribing in the background. Never fails: failures show in
    /// ``state`` and lead to a reconnect after the backoff. Calls after the first do nothing.
    public func start() {
        self.supervisor.start()
    }

    /// Stops reconnecting and closes the connection. The subscriber cannot be started again.
    @discardableResult
    public func close() -> EventLoopFuture<Void> {
        self.supervisor.close()
    }
}
