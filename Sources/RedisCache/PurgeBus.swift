import CacheStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import RedisClient

/// Purge fan-out over Redis pub/sub, with acknowledgements.
///
/// A writer publishes its purge on `<p>purge`; every other instance applies it to its L1 and acknowledges on the
/// writer's own channel `<p>ack:<writer>`. The writer waits for as many acknowledgements as `PUBLISH` reported
/// receivers (bounded by `ackTimeout`) before its client sees the response, so a read that starts after the write's
/// response arrived finds no stale L1 entry on any live instance.
///
/// Thread safety: mutable state lives in `state` (a lock box); callbacks run on the subscriber's event loop.
public final class PurgeBus: Sendable {
    public enum PublishOutcome: Sendable, Equatable {
        /// Every other subscribed instance confirmed (`peers` of them).
        case acknowledged(peers: Int)
        /// Some instances did not confirm within the timeout.
        case timedOut(missing: Int)
        /// Redis could not be reached: the purge is kept for replay after the reconnect.
        case notPublished
    }

    private struct Waiter {
        var expected: Int?
        var received = 0
        var promise: EventLoopPromise<PublishOutcome>
        var timeout: Scheduled<Void>?
    }

    private struct State {
        var nextID: UInt64 = 1
        var waiters: [UInt64: Waiter] = [:]
    }

    let origin: String
    let keys: RedisKeys
    let redis: RedisConnection
    let ackTimeout: TimeAmount
    let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(origin: String, keys: RedisKeys, redis: RedisConnection, ackTimeout: TimeAmount, logger: Logger) {
        self.origin = origin
        self.keys = keys
        self.redis = redis
        self.ackTimeout = ackTimeout
        self.logger = logger
    }

    /// Publishes `purges` (which produced `sequence`) and waits for the other instances' acknowledgements.
    /// `ownSubscriptionCounted`: this instance's subscriber is subscribed, so `PUBLISH` counted it among the receivers.
    func publish(_ purges: [Purge], sequence: Int, ownSubscriptionCounted: Bool) -> EventLoopFuture<PublishOutcome> {
        let loop = self.redis.eventLoop
        let promise = loop.makePromise(of: PublishOutcome.self)
        let id = self.state.withLockedValue { state -> UInt64 in
            let id = state.nextID
            state.nextID += 1
            state.waiters[id] = Waiter(promise: promise)
            return id
        }
        guard let text = PurgeMessage(origin: self.origin, id: id, sequence: sequence, purges: purges).encoded() else {
            self.finish(id, with: .acknowledged(peers: 0))
            return promise.futureResult
        }
        // Acknowledgements may arrive before PUBLISH's own reply: the waiter exists first, its count comes later.
        self.redis.send(.command("PUBLISH", self.keys.purgeChannel, text)).whenComplete { result in
            guard case .success(let reply) = result, let receivers = reply.int else {
                self.finish(id, with: .notPublished)
                return
            }
            let expected = max(0, receivers - (ownSubscriptionCounted ? 1 : 0))
            let done = self.state.withLockedValue { state -> Bool in
                guard var waiter = state.waiters[id] else { return false }
                waiter.expected = expected
                if waiter.received >= expected { return true }
                waiter.timeout = loop.scheduleTask(in: self.ackTimeout) {
                    let missing = self.state.withLockedValue { state -> Int in
                        guard let waiter = state.waiters[id] else { return 0 }
                        return max(0, (waiter.expected ?? 0) - waiter.received)
                    }
                    self.finish(id, with: .timedOut(missing: missing))
                }
                state.waiters[id] = waiter
                return false
            }
            if done { self.finish(id, with: .acknowledged(peers: expected)) }
        }
        return promise.futureResult
    }

    /// An acknowledgement arrived on this instance's ack channel.
    func receiveAck(_ payload: String) {
        guard let id = UInt64(payload) else { return }
        let complete = self.state.withLockedValue { state -> Int? in
            guard var waiter = state.waiters[id] else { return nil }
            waiter.received += 1
            state.waiters[id] = waiter
            if let expected = waiter.expected, waiter.received >= expected { return expected }
            return nil
        }
        if let peers = complete { self.finish(id, with: .acknowledged(peers: peers)) }
    }

    /// Confirms a message from another instance once it has been applied.
    func acknowledge(_ message: PurgeMessage) {
        self.redis.send(.command("PUBLISH", self.keys.ackChannel(origin: message.origin), String(message.id))).whenFailure { error in
            self.logger.debug("purge acknowledgement not sent", metadata: ["error": "\(error)"])
        }
    }

    private func finish(_ id: UInt64, with outcome: PublishOutcome) {
        guard let waiter = self.state.withLockedValue({ $0.waiters.removeValue(forKey: id) }) else { return }
        waiter.timeout?.cancel()
        waiter.promise.succeed(outcome)
    }

    /// Completes every waiter (shutdown).
    func cancelAll() {
        let waiters = self.state.withLockedValue { state -> [Waiter] in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.promise.succeed(.timedOut(missing: max(0, (waiter.expected ?? 0) - waiter.received)))
        }
    }
}
