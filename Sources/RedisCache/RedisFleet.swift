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

    /// Totals since start, for `/stats` and `/metrics`.
    public struct Counters: Sendable, Equatable {
        public var l2Hits = 0
        public var l2Misses = 0
        public var l2Writes = 0
        /// Writes refused because a purge ran during the fetch (or Redis was unreachable).
        public var l2WritesSkipped = 0
        public var purgesPublished = 0
        public var purgesReceived = 0
        public var ackTimeouts = 0
        /// Times L1 was dropped because purges may have been missed.
        public var localDrops = 0
        public var reconnects = 0
        /// Cross-instance single flight: requests answered from L2 after waiting for another instance's fetch.
        public var flightCoalesced = 0
        /// Leases this instance won to fetch a key.
        public var flightLed = 0
        /// Leases taken over from an instance that failed, died or let its lease expire.
        public var flightTakeovers = 0
        /// Requests that fell back to this instance's own coalescing because Redis was down, slow or unsubscribed.
        public var flightFallbacks = 0
        /// Requests that stopped waiting for another instance at `coalesce_timeout` and fetched themselves.
        public var flightTimeouts = 0

        public init() {}
    }

    /// One event of the cross-instance single flight, counted in `Counters`.
    public enum FlightEvent: Sendable {
        case coalesced, led, takeover, fallback, timeout
    }

    public func record(_ event: FlightEvent) {
        self.state.withLockedValue { state in
            switch event {
            case .coalesced: state.counters.flightCoalesced += 1
            case .led: state.counters.flightLed += 1
            case .takeover: state.counters.flightTakeovers += 1
            case .fallback: state.counters.flightFallbacks += 1
            case .timeout: state.counters.flightTimeouts += 1
            }
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

    private struct State {
        var hooks: Hooks?
        /// The purge sequence this instance has caught up with; nil when it cannot prove it missed none.
        var knownSequence: Int?
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
    private let state = NIOLockedValueBox(State())

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
            sequence: state.knownSequence,
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

    /// What Redis holds, for `/metrics`: keys in the database (entries plus their index keys), memory used, its
    /// `maxmemory` (0 = unbounded) and keys it evicted. Nil when Redis does not answer.
    public struct TierReading: Sendable, Equatable {
        public var keys: Int
        public var bytes: Int
        public var budget: Int
        public var evictions: Int
    }

    public func tierReading() -> EventLoopFuture<TierReading?> {
        self.connection.pipeline([.command("INFO", "memory"), .command("INFO", "stats"), .command("DBSIZE")]).map { replies in
            guard replies.count == 3, let memory = replies[0].string, let stats = replies[1].string, let keys = replies[2].int else {
                return nil
            }
            func field(_ name: String, in text: String) -> Int {
                for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(name + ":") {
                    return Int(line.dropFirst(name.count + 1)) ?? 0
                }
                return 0
            }
            return TierReading(
                keys: keys,
                bytes: field("used_memory", in: memory),
                budget: field("maxmemory", in: memory),
                evictions: field("evicted_keys", in: stats)
            )
        }.recover { _ in nil }
    }

    // MARK: - Credential secret

    /// The fleet's credential-hashing secret: the one already in Redis, or `proposed` stored there with `SET NX`.
    /// Without Redis it answers `proposed` (this instance then keys alone until restarted).
    public func agreeOnSecret(proposed: [UInt8], timeout: TimeAmount) -> EventLoopFuture<[UInt8]> {
        let loop = self.connection.eventLoop
        // Redis values are binary-safe: the secret is stored as its bytes.
        let proposedValue = ByteBuffer(bytes: proposed)
        let promise = loop.makePromise(of: [UInt8].self)
        let deadline = NIODeadline.now() + timeout
        func attempt() {
            let set = [ByteBuffer(string: "SET"), ByteBuffer(string: self.keys.secret), proposedValue, ByteBuffer(string: "NX")]
            self.connection.send(set).flatMap { _ in
                self.connection.send(.command("GET", self.keys.secret))
            }.whenComplete { result in
                if case .success(let reply) = result, let agreed = reply.bytes, agreed.readableBytes >= 16 {
                    let bytes = Array(agreed.readableBytesView)
                    self.state.withLockedValue { $0.secret = bytes }
                    promise.succeed(bytes)
                } else if NIODeadline.now() + .milliseconds(50) < deadline {
                    loop.scheduleTask(in: .milliseconds(50)) { attempt() }
                } else {
                    self.logger.warning("Redis unreachable at start: credential partitions use a secret of this instance only; set key_secret for a fleet")
                    promise.succeed(proposed)
                }
            }
        }
        attempt()
        return promise.futureResult
    }

    // MARK: - L2

    /// The purge sequence to record when an upstream fetch begins (nil: do not write what it fetches to L2).
    public var fetchSequence: Int? {
        self.state.withLockedValue { $0.knownSequence }
    }

    /// Looks `key` up in L2 (a miss on any trouble).
    ///
    /// While purges wait to be replayed (they were made while Redis was unreachable, so L2 may still hold what they
    /// select), L2 is not read: a lookup is a miss until the replay has deleted them. Otherwise a read after the write
    /// could copy the pre-write entry from L2 back into L1 once the connection is back (stale reads, found by
    /// bench/soak.sh when Redis timed out under load).
    public func lookup(key: String) -> EventLoopFuture<(entry: CachedResponse, traits: EntryTraits)?> {
        let replayPending = self.state.withLockedValue { state -> Bool in
            guard state.isReplayPending else { return false }
            state.counters.l2Misses += 1
            return true
        }
        if replayPending { return self.connection.eventLoop.makeSucceededFuture(nil) }
        return self.l2.get(key: key).map { entry in
            self.state.withLockedValue { state in
                if entry == nil { state.counters.l2Misses += 1 } else { state.counters.l2Hits += 1 }
            }
            return entry
        }
    }

    /// Writes a complete, storable response to L2 when it fits and no purge ran since its fetch began.
    @discardableResult
    public func store(
        _ entry: CachedResponse,
        traits: EntryTraits = EntryTraits(),
        fetchSequence: Int?,
        now: Double
    ) -> EventLoopFuture<L2Store.PutResult> {
        guard let fetchSequence else {
            self.state.withLockedValue { $0.counters.l2WritesSkipped += 1 }
            return self.connection.eventLoop.makeSucceededFuture(.failed)
        }
        return self.l2.put(entry, traits: traits, sequence: fetchSequence, now: now).map { result in
            let resync = self.state.withLockedValue { state -> Bool in
                switch result {
                case .stored:
                    state.counters.l2Writes += 1
                case .purgedMeanwhile(let current):
                    state.counters.l2WritesSkipped += 1
                    // Redis's sequence went backwards (it restarted empty): catch up.
                    return current < (state.knownSequence ?? 0)
                case .failed:
                    state.counters.l2WritesSkipped += 1
                case .tooLarge:
                    break
                }
                return false
            }
            if resync { self.resync(reason: "purge sequence in Redis went back (Redis restarted?)") }
            return result
        }
    }

    // MARK: - Purges

    public struct InvalidateOutcome: Sendable, Equatable {
        /// Entries deleted from L2.
        public var droppedInL2: Int
        public var publish: PurgeBus.PublishOutcome
    }

    /// Deletes what `purges` select in L2, then tells every other instance and waits (bounded) for them to confirm.
    /// Call it after applying the purges to this instance's L1. Never fails.
    public func invalidate(_ purges: [Purge]) -> EventLoopFuture<InvalidateOutcome> {
        guard !purges.isEmpty else {
            return self.connection.eventLoop.makeSucceededFuture(InvalidateOutcome(droppedInL2: 0, publish: .acknowledged(peers: 0)))
        }
        let hooks = self.state.withLockedValue { $0.hooks }
        let matches: @Sendable (String, String) -> Bool
        if let hooks {
            matches = hooks.patternMatches
        } else {
            matches = { _, _ in false }
        }
        let started = NIODeadline.now()
        return self.l2.purge(purges, patternMatches: matches).flatMap { sequence, dropped in
            self.state.withLockedValue { state in
                state.knownSequence = max(state.knownSequence ?? sequence, sequence)
                state.counters.purgesPublished += 1
            }
            return self.bus.publish(purges, sequence: sequence, ownSubscriptionCounted: self.subscriber.isSubscribed).map { outcome in
                switch outcome {
                case .timedOut:
                    self.state.withLockedValue { $0.counters.ackTimeouts += 1 }
                case .notPublished:
                    // Redis took the purge but the message did not leave: send it again after the reconnect.
                    self.keepForReplay(purges)
                case .acknowledged:
                    let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
                    self.state.withLockedValue { $0.fanout.record(seconds) }
                }
                return InvalidateOutcome(droppedInL2: dropped, publish: outcome)
            }
        }.flatMapError { error in
            self.keepForReplay(purges)
            self.logger.warning("purge not shared with the fleet (Redis unreachable); replayed on reconnect", metadata: ["error": "\(error)"])
            return self.connection.eventLoop.makeSucceededFuture(InvalidateOutcome(droppedInL2: 0, publish: .notPublished))
        }
    }

    /// Purges wait to be replayed, or their replay has not completed.
    var isReplayPending: Bool {
        self.state.withLockedValue { $0.isReplayPending }
    }

    /// Internal (not private) for the tests, which drive a purge made while Redis was unreachable.
    func keepForReplay(_ purges: [Purge]) {
        self.state.withLockedValue { state in
            state.replay += purges
            if state.replay.count > self.options.replayLimit { state.replay = [Purge(.all)] }
        }
    }

    // MARK: - Connection events

    private func connected(generation: Int) {
        if generation > 1 { self.state.withLockedValue { $0.counters.reconnects += 1 } }
        // Re-assert the agreed secret (an empty Redis after a restart would let a new instance pick another one).
        if let secret = self.state.withLockedValue({ $0.secret }) {
            let set = [ByteBuffer(string: "SET"), ByteBuffer(string: self.keys.secret), ByteBuffer(bytes: secret), ByteBuffer(string: "NX")]
            self.connection.send(set).flatMap { _ in
                self.connection.send(.command("GET", self.keys.secret))
            }.whenSuccess { reply in
                if let current = reply.bytes, Array(current.readableBytesView) != secret {
                    self.logger.error("the fleet's credential secret in Redis differs from this instance's: set key_secret on every instance")
                }
            }
        }
        self.replayPending()
        self.resync(reason: "reconnected to Redis")
    }

    private func resubscribed(generation: Int) {
        self.resync(reason: "resubscribed to purges")
    }

    /// Catches up with the purge sequence: when this instance cannot prove it saw every purge, it drops L1.
    private func resync(reason: String) {
        guard self.subscriber.isSubscribed else {
            self.forgetSequence(reason: reason)
            return
        }
        self.l2.currentSequence().whenComplete { result in
            switch result {
            case .success(let current):
                let drop = self.state.withLockedValue { state -> Bool in
                    defer { state.knownSequence = max(state.knownSequence ?? current, current) }
                    guard let known = state.knownSequence else { return true }
                    if current < known {
                        state.knownSequence = current
                        return true
                    }
                    return current != known
                }
                if drop { self.dropLocal(reason: reason) }
            case .failure:
                self.forgetSequence(reason: reason)
            }
        }
    }

    private func forgetSequence(reason: String) {
        let hadSequence = self.state.withLockedValue { state -> Bool in
            defer { state.knownSequence = nil }
            return state.knownSequence != nil
        }
        if hadSequence { self.dropLocal(reason: reason) }
    }

    private func dropLocal(reason: String) {
        let hooks = self.state.withLockedValue { state -> Hooks? in
            state.counters.localDrops += 1
            return state.hooks
        }
        self.logger.info("dropping L1: purges may have been missed", metadata: ["reason": "\(reason)"])
        hooks?.dropLocal(reason)
    }

    /// Internal (not private) for the tests.
    func replayPending() {
        let purges = self.state.withLockedValue { state -> [Purge] in
            guard !state.replaying, !state.replay.isEmpty else { return [] }
            state.replaying = true
            defer { state.replay = [] }
            return state.replay
        }
        guard !purges.isEmpty else { return }
        self.invalidate(purges).whenComplete { _ in
            self.state.withLockedValue { $0.replaying = false }
        }
    }

    // MARK: - Messages

    private func receive(channel: String, payload: ByteBuffer) {
        if channel == self.keys.flightChannel {
            self.flights.receive(payload)
        } else if channel == self.keys.purgeChannel {
            guard let message = PurgeMessage(decoding: String(buffer: payload)), message.origin != self.instanceID else { return }
            let hooks = self.state.withLockedValue { state -> Hooks? in
                state.counters.purgesReceived += 1
                return state.hooks
            }
            // Applied to L1 (and its purge journal) before the sequence moves on: an instance that knows a sequence
            // has every purge up to it in its journal (the L2 tier relies on it to retry a write, `RedisFleet+Tier`).
            hooks?.applyRemote(message.purges)
            self.state.withLockedValue { state in
                state.knownSequence = max(state.knownSequence ?? message.sequence, message.sequence)
            }
            self.bus.acknowledge(message)
        } else if channel == self.keys.ackChannel(origin: self.instanceID) {
            self.bus.receiveAck(String(buffer: payload))
        }
    }
}
