import CacheStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import RedisClient
import Synchronization

/// Fleet mode: what one instance shares with the others through Redis — the L2 tier, the purge sequence, purge
/// fan-out with acknowledgements, and the credential-hashing secret.
///
/// Redis trouble never becomes a client's trouble: every call here completes (bounded by the command and ack
/// timeouts) and reports a miss or a skipped step instead of failing. Purges that could not reach Redis are kept
/// and replayed when the connection returns; an instance whose subscription dropped compares the purge sequence
/// after it resubscribes and drops its L1 when it may have missed a purge.
public final class RedisFleet: Sendable {
    /// What the fleet asks of the proxy that owns it.
    public struct Hooks: Sendable {
        /// Applies another instance's purges to L1.
        public var applyRemote: @Sendable ([Purge]) -> Void
        /// Drops all of L1: purges may have been missed.
        public var dropLocal: @Sendable (_ reason: String) -> Void
        /// Evaluates a configured path pattern against a path.
        public var patternMatches: @Sendable (_ pattern: String, _ path: String) -> Bool

        public init(
            applyRemote: @escaping @Sendable ([Purge]) -> Void,
            dropLocal: @escaping @Sendable (String) -> Void,
            patternMatches: @escaping @Sendable (String, String) -> Bool
        ) {
            self.applyRemote = applyRemote
            self.dropLocal = dropLocal
            self.patternMatches = patternMatches
        }
    }

    public struct Options: Sendable {
        public var redis: RedisConfiguration
        public var keyPrefix: String
        public var maxObject: Int
        public var ackTimeout: TimeAmount
        /// Purges kept while Redis is unreachable; beyond it they collapse into one purge of everything.
        public var replayLimit: Int
        /// How long a cross-instance claim on a key lasts unrenewed (`[redis] coalesce_lease`).
        public var lease: TimeAmount

        public init(
            redis: RedisConfiguration,
            keyPrefix: String,
            maxObject: Int,
            ackTimeout: TimeAmount,
            replayLimit: Int = 1000,
            lease: TimeAmount = .seconds(2)
        ) {
            self.lease = lease
            self.redis = redis
            self.keyPrefix = keyPrefix
            self.maxObject = maxObject
            self.ackTimeout = ackTimeout
            self.replayLimit = replayLimit
        }
    }

    public struct Status: Sendable {
        public var connected: Bool
        public var subscribed: Bool
        public var lastError: String?
        public var sequence: Int?
        public var pendingReplay: Int
        public var counters: Counters
        public var endpoint: String
        /// Fan-out latency of this instance's recent purges: from the start of the L2 purge until every other
        /// instance confirmed it dropped the entries (p50, p99, samples).
        public var fanout: (p50: Double, p99: Double, samples: Int)?
    }

    struct State {
        var hooks: Hooks?
        /// The purge sequence this instance has caught up with.
        var sequence = PurgeSequence()
        /// Writes to L2 waiting for the sequence to reach a purge (`waitForSequence`).
        var sequenceWaiters: [SequenceWaiter] = []
        var replay: [Purge] = []
        var replaying = false
        var isReplayPending: Bool { self.replaying || !self.replay.isEmpty }
        var counters = Counters()
        /// The agreed credential secret, re-asserted after Redis restarts.
        var secret: [UInt8]?
        var started = false
        /// The last fan-out durations (purge start to the last acknowledgement), in seconds.
        var fanout = LatencyReservoir(capacity: 1024)
    }

    public let instanceID: String
    public let keys: RedisKeys
    public let l2: L2Store
    /// Cross-instance single flight: leases on keys being fetched and the wake-ups when they are let go.
    public let flights: FlightLeases
    let connection: RedisConnection
    let subscriber: RedisSubscriber
    let bus: PurgeBus
    let options: Options
    let logger: Logger
    let state = NIOLockedValueBox(State())

    public init(options: Options, eventLoopGroup: EventLoopGroup, logger: Logger) {
        var generator = SystemRandomNumberGenerator()
        self.instanceID = String(generator.next() as UInt64, radix: 16)
        self.options = options
        self.logger = logger
        self.keys = RedisKeys(prefix: options.keyPrefix)
        self.connection = RedisConnection(configuration: options.redis, eventLoop: eventLoopGroup.next(), logger: logger)
        let failures = RecentFailure()
        self.l2 = L2Store(redis: self.connection, keys: self.keys, maxObject: options.maxObject, failures: failures)
        self.flights = FlightLeases(redis: self.connection, keys: self.keys, lease: options.lease, failures: failures)
        self.bus = PurgeBus(origin: self.instanceID, keys: self.keys, redis: self.connection, ackTimeout: options.ackTimeout, logger: logger)
        let keys = self.keys
        let origin = self.instanceID
        // The subscriber's callbacks reach this instance through a box filled right after init.
        let box = NIOLockedValueBox<RedisFleet?>(nil)
        self.subscriber = RedisSubscriber(
            configuration: options.redis,
            eventLoop: eventLoopGroup.next(),
            logger: logger,
            channels: [keys.purgeChannel, keys.ackChannel(origin: origin), keys.flightChannel],
            onMessage: { channel, payload in box.withLockedValue { $0 }?.receive(channel: channel, payload: payload) },
            onSubscribed: { generation in box.withLockedValue { $0 }?.resubscribed(generation: generation) }
        )
        self.callbackTarget = box
        box.withLockedValue { $0 = self }
    }

    /// Routes the subscriber's callbacks to this instance; emptied by `shutdown` (which breaks the cycle).
    private let callbackTarget: NIOLockedValueBox<RedisFleet?>

    /// Connects (in the background) and starts listening for purges. Until `setHooks` is called, purges from other
    /// instances are acknowledged but have nothing to drop (L1 is empty before the proxy serves).
    public func start() {
        let first = self.state.withLockedValue { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        guard first else { return }
        self.connection.onConnect = { [weak self] generation in self?.connected(generation: generation) }
        let flights = self.flights
        self.subscriber.onStateChange = { state in
            // Waiters for another instance's fetch cannot hear its release any more: they stop waiting.
            if state != .connected { flights.subscriptionLost() }
        }
        self.connection.start()
        self.subscriber.start()
    }

    /// Connects the fleet to the proxy that owns it.
    public func setHooks(_ hooks: Hooks) {
        self.state.withLockedValue { $0.hooks = hooks }
    }

    /// Stops reconnecting and closes both connections.
    public func shutdown() -> EventLoopFuture<Void> {
        self.bus.cancelAll()
        self.callbackTarget.withLockedValue { $0 = nil }
        let loop = self.connection.eventLoop
        return self.subscriber.close().and(self.connection.close()).map { _ in }.hop(to: loop)
    }

    // MARK: - Status

    public var status: Status {
        let state = self.state.withLockedValue { $0 }
        var lastError: String?
        if case .disconnected(let error) = self.connection.state { lastError = error }
        return Status(
            connected: self.connection.state == .connected,
            subscribed: self.subscriber.isSubscribed,
            lastError: lastError,
            sequence: state.sequence.known,
            pendingReplay: state.replay.count,
            counters: state.counters,
            endpoint: "\(self.options.redis.host):\(self.options.redis.port)/\(self.options.redis.database)",
            fanout: state.fanout.summary
        )
    }

    /// Whether the instance is fully part of the fleet (L2 usable, purges flowing).
    public var isHealthy: Bool {
        self.connection.state == .connected && self.subscriber.isSubscribed
    }

    /// Whether a request may wait on the fleet for another instance's fetch: healthy, and no Redis command failed
    /// (down, slow) in the last second, and no purges wait for their replay.
    public var canCoordinate: Bool {
        // A claim answers the L2 entry it finds: not while purges wait for their replay (see `lookup`).
        self.isHealthy && !self.l2.failures.isRecent() && !self.isReplayPending
    }
}
