import CacheStore
import RedisCache
import Synchronization

/// Where complete responses are stored: L1, and L2 in fleet mode. A response is stored only if no purge ran since
/// its upstream fetch began (the purge epoch here for L1, the fleet's purge sequence in Redis for L2), so that a read
/// that raced a write can never put the pre-write answer back into the cache after the write's purge.
final class EntryCommitter: Sendable {
    let store: MemoryStore<LRUPolicy>
    let fleet: RedisFleet?
    let clock: WallClock
    /// Incremented by every purge that reaches L1 (local, admin, another instance's, a drop of everything).
    private let epoch = Atomic<Int>(0)

    /// What a fetch remembers when it begins.
    struct FetchMark {
        var epoch: Int
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
        FetchMark(epoch: self.epoch.load(ordering: .acquiring), sequence: self.fleet?.fetchSequence)
    }

    /// Call after (or while) purging L1: fetches that began earlier will not store what they fetched.
    func purged() {
        self.epoch.wrappingAdd(1, ordering: .releasing)
    }

    /// Stores `entry` in L1 (and L2) unless a purge ran since `mark`. Returns whether L1 took it.
    @discardableResult
    func commit(_ entry: CachedResponse, mark: FetchMark) -> Bool {
        guard self.epoch.load(ordering: .acquiring) == mark.epoch else { return false }
        let now = self.clock.now()
        let stored = self.store.insert(entry, now: now) == .stored
        self.fleet?.store(entry, fetchSequence: mark.sequence, now: now)
        return stored
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
        guard self.epoch.load(ordering: .acquiring) == mark.epoch else { return .purgedMeanwhile }
        return self.store.insert(entry, now: self.clock.now()) == .stored ? .promoted : .tooLargeForL1
    }
}
