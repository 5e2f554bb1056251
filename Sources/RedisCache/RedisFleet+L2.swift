import CacheStore
import NIOCore

extension RedisFleet {
    /// The purge sequence to record when an upstream fetch begins (nil: do not write what it fetches to L2).
    public var fetchSequence: Int? {
        self.state.withLockedValue { $0.sequence.known }
    }

    /// Looks `key` up in L2 (a miss on any trouble).
    ///
    /// While purges wait to be replayed (they were made while Redis was unreachable, so L2 may still hold what they
    /// select), L2 is not read: a lookup is a miss until the replay has deleted them. Otherwise a read after the write
    /// could copy the pre-write entry from L2 back into L1 once the connection is back (stale reads, found by
    /// bench/soak.sh when Redis timed out under load).
    public func lookup(key: String) -> EventLoopFuture<(entry: CachedResponse, traits: EntryTraits)?> {
        let promise = self.connection.eventLoop.makePromise(of: (entry: CachedResponse, traits: EntryTraits)?.self)
        self.lookup(key: key) { promise.succeed($0) }
        return promise.futureResult
    }

    /// `lookup(key:)` with the answer given to `answer` on the connection's event loop (no future of its own).
    public func lookup(key: String, _ answer: @escaping @Sendable ((entry: CachedResponse, traits: EntryTraits)?) -> Void) {
        let replayPending = self.state.withLockedValue { state -> Bool in
            guard state.isReplayPending else { return false }
            state.counters.l2Misses += 1
            return true
        }
        if replayPending { return self.connection.eventLoop.execute { answer(nil) } }
        self.l2.get(key: key) { entry in
            self.state.withLockedValue { state in
                if entry == nil { state.counters.l2Misses += 1 } else { state.counters.l2Hits += 1 }
            }
            answer(entry)
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
                    return current < (state.sequence.known ?? 0)
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

    /// Succeeds with true once this instance has caught up with purge `number` (it has every purge up to it in its
    /// journal), with false after `timeout` (the announcement is late or lost).
    func waitForSequence(atLeast number: Int, timeout: TimeAmount) -> EventLoopFuture<Bool> {
        let loop = self.connection.eventLoop
        let promise = loop.makePromise(of: Bool.self)
        let ready = self.state.withLockedValue { state -> Bool in
            if let known = state.sequence.known, known >= number { return true }
            state.sequenceWaiters.append(SequenceWaiter(number: number, promise: promise))
            return false
        }
        if ready {
            promise.succeed(true)
            return promise.futureResult
        }
        let timer = loop.scheduleTask(in: timeout) {
            let expired = self.state.withLockedValue { state -> Bool in
                let before = state.sequenceWaiters.count
                state.sequenceWaiters.removeAll { $0.promise.futureResult === promise.futureResult }
                return state.sequenceWaiters.count < before
            }
            if expired { promise.succeed(false) }
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    /// Call after the sequence moved: wakes the waiters it satisfies.
    func settleSequenceWaiters() {
        let ready = self.state.withLockedValue { state -> [SequenceWaiter] in
            guard let known = state.sequence.known, !state.sequenceWaiters.isEmpty else { return [] }
            let ready = state.sequenceWaiters.filter { $0.number <= known }
            state.sequenceWaiters.removeAll { $0.number <= known }
            return ready
        }
        for waiter in ready { waiter.promise.succeed(true) }
    }

    /// A write to L2 waiting until this instance has caught up with a purge.
    struct SequenceWaiter {
        var number: Int
        var promise: EventLoopPromise<Bool>
    }
}
