import HTTPCaching
import NIOConcurrencyHelpers

/// The byte-bounded in-memory store (L1).
///
/// Entries are spread over shards by their path, so that every variant and partition of one URL lives in
/// one shard and a URL purge takes one lock. Each shard owns an equal part of the budget; the shard count is
/// chosen so that the largest object still fits in one shard, which keeps the sum of the shards (and so the
/// whole store) within the budget at every instant. Locks are held for dictionary work only, never across I/O.
public final class MemoryStore<Policy: EvictionPolicy>: Sendable {
    public enum Lookup: Sendable {
        case hit(CachedResponse)
        /// Something is stored under this key, but no variant matches the request's `Vary` fields.
        case varyMiss
        case miss
    }

    public enum InsertResult: Sendable, Equatable {
        case stored
        /// Larger than `max_object`: streamed through, not stored.
        case tooLarge
        /// `onlyIf` said no (a purge ran since the response was fetched).
        case refused
    }

    public let budget: Int
    public let maxObject: Int
    private let shards: [LockedShard<Policy>]

    public init(budget: Int, maxObject: Int) {
        precondition(budget > 0 && maxObject > 0, "budget and maxObject must be positive")
        let count = max(1, min(16, budget / max(maxObject, 1)))
        self.budget = budget
        self.maxObject = min(maxObject, budget / count)
        self.shards = (0..<count).map { _ in LockedShard(budget: budget / count) }
    }

    // MARK: - Reads

    /// Finds the variant of `key` whose secondary key matches, dropping entries past their eviction time.
    public func lookup(key: String, path: String, now: Double, matching: (VaryKey) -> Bool) -> Lookup {
        self.shard(for: path).withLock { $0.lookup(key: key, now: now, matching: matching) }
    }

    // MARK: - Writes

    /// Stores `response`. `onlyIf` is evaluated under the shard's lock, the lock every purge of this path takes too:
    /// a purge that a caller's condition observes (a purge epoch it bumps before purging) cannot slip between the
    /// check and the insert.
    @discardableResult
    public func insert(_ response: CachedResponse, now: Double, onlyIf condition: (() -> Bool)? = nil) -> InsertResult {
        guard response.bodyLength <= self.maxObject, response.cost <= self.shardBudget else { return .tooLarge }
        return self.shard(for: response.path).withLock { shard in
            if let condition, !condition() { return .refused }
            shard.insert(response)
            return .stored
        }
    }

    /// Drops every entry the selector names; returns how many entries were dropped.
    @discardableResult
    public func purge(_ selector: PurgeSelector) -> Int {
        if let path = selector.singlePath {
            return self.shard(for: path).withLock { $0.purge(selector) }
        }
        return self.shards.reduce(0) { total, shard in total + shard.withLock { $0.purge(selector) } }
    }

    /// Drops everything.
    public func removeAll() {
        for shard in self.shards { shard.withLock { $0.removeAll() } }
    }

    /// Frees entries whose eviction time has passed (lookups also drop them lazily).
    @discardableResult
    public func sweep(now: Double) -> Int {
        self.shards.reduce(0) { total, shard in total + shard.withLock { $0.sweep(now: now) } }
    }

    // MARK: - Introspection

    public struct Statistics: Sendable, Equatable {
        public var entries: Int
        public var bytes: Int
        public var evictions: Int
    }

    public var statistics: Statistics {
        self.shards.reduce(Statistics(entries: 0, bytes: 0, evictions: 0)) { sum, shard in
            shard.withLock { s in
                Statistics(entries: sum.entries + s.count, bytes: sum.bytes + s.bytes, evictions: sum.evictions + s.evictions)
            }
        }
    }

    /// A snapshot of the stored entries (for the admin API), in no particular order.
    public func entries() -> [CachedResponse] {
        self.shards.flatMap { shard in shard.withLock { $0.allResponses() } }
    }

    private var shardBudget: Int { self.budget / self.shards.count }

    private func shard(for path: String) -> LockedShard<Policy> {
        if self.shards.count == 1 { return self.shards[0] }
        // FNV-1a over the path's bytes: a shard only spreads load (the dictionary inside hashes with SipHash), and
        // this costs a third of `Hasher` on the hit path.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return self.shards[Int(hash % UInt64(self.shards.count))]
    }
}

extension MemoryStore where Policy == LRUPolicy {
    public convenience init(lruBudget budget: Int, maxObject: Int) {
        self.init(budget: budget, maxObject: maxObject)
    }
}

/// A shard's lock and state.
///
/// `@unchecked Sendable`: `shard` is only touched inside `withLock`, which holds `lock` for the whole access. (A
/// `Mutex` would say this itself, but its `sending` closure rules reject the non-escaping `Vary` matcher the lookup
/// passes in, which never leaves the call.)
final class LockedShard<Policy: EvictionPolicy>: @unchecked Sendable {
    private let lock = NIOLock()
    private var shard: Shard<Policy>

    init(budget: Int) {
        self.shard = Shard<Policy>(budget: budget)
    }

    @inline(__always)
    func withLock<R>(_ body: (inout Shard<Policy>) -> R) -> R {
        self.lock.withLock { body(&self.shard) }
    }
}
