import CacheStore
import NIOConcurrencyHelpers
import NIOCore
import RESP
import RedisClient

/// Cross-instance single flight, the Redis side (issue 17): a lease per cache key (`SET NX PX`), renewed while its
/// holder fetches, and a wake-up published on `<p>flight` when the holder lets go, with what became of its fetch.
///
/// Instances that find a key leased register a waiter here before they ask (`watch`), so that a wake-up published
/// while their claim is on its way is not missed. Every call completes within the connection's command timeout:
/// Redis trouble is reported (`.unavailable`), never awaited longer.
public final class FlightLeases: Sendable {
    /// What the holder of a lease says when it lets go; every instance waiting for the key hears it.
    public enum Outcome: String, Sendable, Equatable {
        /// The response is in L2: read it there.
        case stored
        /// The response cannot be shared through L2 (not storable, larger than `[redis] max_object`, a condition
        /// such as `store_if_json` not met): fetch for yourself.
        case pass
        /// The fetch failed or was given up: one waiter takes the lease over.
        case failed
    }

    /// The answer to a claim.
    public enum Claim: Sendable {
        /// This instance holds the lease: fetch, then `release` it.
        case won(FlightLease)
        /// Another instance holds it for another `remaining`.
        case held(remaining: TimeAmount)
        /// L2 already holds an entry for the key (newer than the caller's, when it gave a minimum remaining life).
        case entry(CachedResponse, EntryTraits)
        /// Redis is unreachable, slow or refused: coalesce locally.
        case unavailable
    }

    /// What a registered waiter hears.
    public enum Wake: Sendable, Equatable {
        case released(Outcome)
        /// The wake-up channel dropped: a release may be missed.
        case lost
    }

    let redis: RedisConnection
    let keys: RedisKeys
    let failures: RecentFailure
    /// How long a lease lasts without renewal (`[redis] coalesce_lease`).
    public let lease: TimeAmount
    private let waiters = NIOLockedValueBox(Waiters())

    private struct Waiters {
        var byKey: [String: [Int: @Sendable (Wake) -> Void]] = [:]
        var nextID = 1
    }

    init(redis: RedisConnection, keys: RedisKeys, lease: TimeAmount, failures: RecentFailure) {
        self.failures = failures
        self.redis = redis
        self.keys = keys
        self.lease = lease
    }

    // MARK: - Commands

    /// Claims `key` for one fetch: answers the L2 entry if there is one (whose remaining life exceeds
    /// `minimumRemaining`, which a background refresh sets to its stale copy's), else takes the lease if it is free.
    public func claim(key: String, minimumRemaining: TimeAmount = .zero) -> EventLoopFuture<Claim> {
        var generator = SystemRandomNumberGenerator()
        let token = String(generator.next() as UInt64, radix: 36)
        let px = Int(max(1, self.lease.nanoseconds / 1_000_000))
        let minimum = max(0, minimumRemaining.nanoseconds / 1_000_000)
        let command: [ByteBuffer] = .command(
            "EVAL", Self.claimScript, "2", self.keys.lease(key), self.keys.entry(key), token, String(px), String(minimum)
        )
        return self.redis.send(command).map { reply -> Claim in
            guard let fields = reply.array, let kind = fields.first?.int else { return .unavailable }
            switch kind {
            case 1:
                return .won(FlightLease(leases: self, key: key, token: token))
            case 2:
                guard fields.count == 2, let bytes = fields[1].bytes, let entry = EntryCodec.decode(bytes) else {
                    return .unavailable
                }
                return .entry(entry.entry, entry.traits)
            default:
                let remaining = fields.count == 2 ? (fields[1].int ?? px) : px
                // PTTL -1 (no expiry: not one of ours) is waited on like a full lease.
                return .held(remaining: .milliseconds(Int64(remaining >= 0 ? remaining : px)))
            }
        }.recover { _ in
            self.failures.mark()
            return .unavailable
        }
    }

    /// KEYS: lease, entry. ARGV: token, lease ms, minimum remaining ms of an entry to answer with.
    static let claimScript = """
        local v = redis.call('GET', KEYS[2])
        if v and redis.call('PTTL', KEYS[2]) > tonumber(ARGV[3]) then return {2, v} end
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
        return {0, redis.call('PTTL', KEYS[1])}
        """

    /// KEYS: lease. ARGV: token, lease ms.
    static let renewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """

    /// KEYS: lease. ARGV: token, channel, message. The wake-up goes out even when the lease expired meanwhile: a
    /// waiter that hears `stored` reads L2, which is right whoever holds the lease now.
    static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        redis.call('PUBLISH', ARGV[2], ARGV[3])
        return 1
        """

    func renew(key: String, token: String) -> EventLoopFuture<Void> {
        let px = String(max(1, self.lease.nanoseconds / 1_000_000))
        return self.redis.send(.command("EVAL", Self.renewScript, "1", self.keys.lease(key), token, px)).map { _ in }
    }

    func release(key: String, token: String, outcome: Outcome) -> EventLoopFuture<Void> {
        let message = outcome.rawValue + " " + key
        return self.redis.send(.command("EVAL", Self.releaseScript, "1", self.keys.lease(key), token, self.keys.flightChannel, message))
            .map { _ in }
    }

    // MARK: - Wake-ups

    /// Registers `wake` for releases of `key` until `unwatch(id)`. `wake` runs on the subscriber's event loop.
    public func watch(key: String, _ wake: @escaping @Sendable (Wake) -> Void) -> Int {
        self.waiters.withLockedValue { waiters in
            let id = waiters.nextID
            waiters.nextID += 1
            waiters.byKey[key, default: [:]][id] = wake
            return id
        }
    }

    public func unwatch(key: String, id: Int) {
        self.waiters.withLockedValue { waiters in
            waiters.byKey[key]?[id] = nil
            if waiters.byKey[key]?.isEmpty == true { waiters.byKey[key] = nil }
        }
    }

    /// Waiters registered now (for tests and diagnostics).
    public var watching: Int {
        self.waiters.withLockedValue { $0.byKey.values.reduce(0) { $0 + $1.count } }
    }

    /// A message on the flight channel: "<outcome> <key>".
    func receive(_ payload: ByteBuffer) {
        let text = String(buffer: payload)
        guard let space = text.firstIndex(of: " "), let outcome = Outcome(rawValue: String(text[..<space])) else { return }
        let key = String(text[text.index(after: space)...])
        let wakes = self.waiters.withLockedValue { Array(($0.byKey[key] ?? [:]).values) }
        for wake in wakes { wake(.released(outcome)) }
    }

    /// The subscription dropped: every waiter may miss its wake-up.
    func subscriptionLost() {
        let wakes = self.waiters.withLockedValue { $0.byKey.values.flatMap { Array($0.values) } }
        for wake in wakes { wake(.lost) }
    }
}

/// A lease this instance holds on one key while it fetches. Renewed every third of the lease until released;
/// released with `.failed` if dropped unreleased, so waiters elsewhere take over at once instead of at its expiry.
public final class FlightLease: Sendable {
    public let key: String
    let token: String
    private let leases: FlightLeases
    private let state = NIOLockedValueBox<(released: Bool, renewal: Scheduled<Void>?)>((false, nil))

    init(leases: FlightLeases, key: String, token: String) {
        self.leases = leases
        self.key = key
        self.token = token
        self.scheduleRenewal()
    }

    deinit {
        let (released, renewal) = self.state.withLockedValue { $0 }
        renewal?.cancel()
        if !released {
            _ = self.leases.release(key: self.key, token: self.token, outcome: .failed)
        }
    }

    /// Lets go of the lease and tells the waiters; only the first call counts.
    public func release(_ outcome: FlightLeases.Outcome) {
        let renewal = self.state.withLockedValue { state -> Scheduled<Void>?? in
            guard !state.released else { return .none }
            state.released = true
            defer { state.renewal = nil }
            return .some(state.renewal)
        }
        guard let renewal else { return }
        renewal?.cancel()
        _ = self.leases.release(key: self.key, token: self.token, outcome: outcome)
    }

    public var isReleased: Bool { self.state.withLockedValue { $0.released } }

    private func scheduleRenewal() {
        let every = TimeAmount.nanoseconds(max(self.leases.lease.nanoseconds / 3, 1_000_000))
        let task = self.leases.redis.eventLoop.scheduleTask(in: every) { [weak self] in
            guard let self, !self.isReleased else { return }
            _ = self.leases.renew(key: self.key, token: self.token)
            self.scheduleRenewal()
        }
        let stale = self.state.withLockedValue { state -> Bool in
            guard !state.released else { return true }
            state.renewal = task
            return false
        }
        if stale { task.cancel() }
    }
}
