import CacheStore
import NIOCore

extension RedisFleet {
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
                state.sequence.arrived(sequence, now: Self.monotonicSeconds())
                state.counters.purgesPublished += 1
            }
            self.settleSequenceWaiters()
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

    // MARK: - Connection events

    func connected(generation: Int) {
        if generation > 1 { self.state.withLockedValue { $0.counters.reconnects += 1 } }
        self.reassertSecret()
        self.replayPending()
        self.resync(reason: "reconnected to Redis")
    }

    func resubscribed(generation: Int) {
        self.resync(reason: "resubscribed to purges")
    }

    /// Catches up with the purge sequence: when this instance cannot prove it saw every purge, it drops L1.
    func resync(reason: String) {
        guard self.subscriber.isSubscribed else {
            self.forgetSequence(reason: reason)
            return
        }
        self.l2.currentSequence().whenComplete { result in
            switch result {
            case .success(let current):
                let drop = self.state.withLockedValue { $0.sequence.resynced(current: current, now: Self.monotonicSeconds()) }
                self.settleSequenceWaiters()
                if drop { self.dropLocal(reason: reason) }
            case .failure:
                self.forgetSequence(reason: reason)
            }
        }
    }

    private func forgetSequence(reason: String) {
        let hadSequence = self.state.withLockedValue { state -> Bool in
            defer { state.sequence.forget() }
            return state.sequence.known != nil
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

    // MARK: - Messages

    func receive(channel: String, payload: ByteBuffer) {
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
            let now = Self.monotonicSeconds()
            let stuck = self.state.withLockedValue { state -> Bool in
                state.sequence.arrived(message.sequence, now: now)
                // A lower number that never came (its sender could not publish it, and replays the purge under a
                // new one): ask Redis where the sequence is, as after a reconnect.
                return state.sequence.hasGap(olderThan: Self.gapLimit(self.options.ackTimeout), now: now)
            }
            self.settleSequenceWaiters()
            self.bus.acknowledge(message)
            if stuck { self.resync(reason: "a purge announcement never arrived") }
        } else if channel == self.keys.ackChannel(origin: self.instanceID) {
            self.bus.receiveAck(String(buffer: payload))
        }
    }

    /// How long a gap in the purge numbers may stay open: four acknowledgement timeouts, at least a second.
    static func gapLimit(_ ackTimeout: TimeAmount) -> Double {
        max(1, 4 * Double(ackTimeout.nanoseconds) / 1e9)
    }

    static func monotonicSeconds() -> Double {
        Double(NIODeadline.now().uptimeNanoseconds) / 1e9
    }
}
