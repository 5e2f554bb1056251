import CacheStore
import NIOCore
import RedisCache

/// Where complete responses are stored: L1, and L2 in fleet mode. A response is stored only if no purge that selects
/// it ran since its upstream fetch began (the `PurgeJournal` here for L1, the fleet's purge sequence in Redis for
/// L2), so that a read that raced a write can never put the pre-write answer back into the cache after the write's
/// purge.
final class EntryCommitter: Sendable {
    let store: MemoryStore<LRUPolicy>
    let fleet: RedisFleet?
    let clock: WallClock
    /// Every purge that reaches L1 (local, admin, another instance's, a drop of everything).
    let journal = PurgeJournal()

    /// What a fetch remembers when it begins.
    struct FetchMark {
        /// The purge journal's number when the fetch began.
        var purges: Int
        /// The fleet's purge sequence; nil: do not write to L2.
        var sequence: Int?
    }

    init(store: MemoryStore<LRUPolicy>, fleet: RedisFleet?, clock: WallClock) {
        self.store = store
        self.fleet = fleet
        self.clock = clock
    }

    /// The largest body any tier takes: a response is collected for storing up to this size.
    var maxObject: Int {
        max(self.store.maxObject, self.fleet?.l2.maxObject ?? 0)
    }

    func mark() -> FetchMark {
        FetchMark(purges: self.journal.current, sequence: self.fleet?.fetchSequence)
    }

    /// Call before purging L1: fetches that began earlier will not store what these purges select (nil: all).
    /// Before, not after: `insert` checks the journal under the shard lock that the purge then takes, so no
    /// commit lands in between.
    func willPurge(_ selectors: [PurgeSelector?]) {
        self.journal.record(selectors)
    }

    /// Whether no purge that selects `entry` began since `mark`.
    private func unpurged(_ entry: CachedResponse, since mark: FetchMark) -> Bool {
        self.journal.unpurged(entry, since: mark.purges)
    }

    /// Stores `entry` in L1 (and L2) unless a purge ran since `mark`. Returns whether L1 took it.
    ///
    /// `lease`: the fleet's claim on the key, released once the L2 write is decided: `stored` wakes the other
    /// instances' waiters to read L2; anything else (`pass`) sends them upstream themselves.
    @discardableResult
    func commit(_ entry: CachedResponse, mark: FetchMark, lease: FlightLease? = nil) -> Bool {
        guard self.unpurged(entry, since: mark) else {
            lease?.release(.pass)
            return false
        }
        let now = self.clock.now()
        let result = self.store.insert(entry, now: now, onlyIf: { self.unpurged(entry, since: mark) })
        guard result != .refused else {
            lease?.release(.pass)
            return false
        }
        if let written = self.storeInL2(entry, mark: mark, now: now), let lease {
            written.whenComplete { result in
                lease.release((try? result.get()) == .stored ? .stored : .pass)
            }
        } else {
            lease?.release(.pass)
        }
        return result == .stored
    }

    /// Writes `entry` to L2 if no purge ran since `mark`. When purges did run (the fleet's sequence moved), the write
    /// is tried once more at the new sequence if this instance has every one of those purges in its journal (it
    /// knows the sequence Redis reported) and none of them selects the entry: an unrelated write elsewhere in the
    /// fleet does not keep a generation out of L2.
    private func storeInL2(_ entry: CachedResponse, mark: FetchMark, now: Double) -> EventLoopFuture<L2Store.PutResult>? {
        guard let fleet = self.fleet else { return nil }
        return fleet.store(entry, fetchSequence: mark.sequence, now: now).flatMap { result in
            guard case .purgedMeanwhile(let current) = result, mark.sequence != nil, fleet.fetchSequence == current,
                self.unpurged(entry, since: mark)
            else { return fleet.l2.redisEventLoop.makeSucceededFuture(result) }
            return fleet.store(entry, fetchSequence: current, now: self.clock.now())
        }
    }
}

extension EntryCommitter {
    enum Promotion {
        case promoted
        /// Usable, but larger than L1 takes: answered from the L2 copy itself.
        case tooLargeForL1
        /// A purge ran since the L2 read began: the entry may be what it dropped.
        case purgedMeanwhile
    }

    /// Copies an L2 entry into L1, unless a purge ran since the L2 read began.
    func promote(_ entry: CachedResponse, mark: FetchMark) -> Promotion {
        guard self.unpurged(entry, since: mark) else { return .purgedMeanwhile }
        switch self.store.insert(entry, now: self.clock.now(), onlyIf: { self.unpurged(entry, since: mark) }) {
        case .stored: return .promoted
        case .tooLarge: return .tooLargeForL1
        case .refused: return .purgedMeanwhile
        }
    }
}
