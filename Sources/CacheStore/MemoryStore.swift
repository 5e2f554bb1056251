import HTTPCaching
import NIOConcurrencyHelpers
import Synchronization

/// The byte-bounded in-memory tier.
///
/// One budget for the whole store, whatever the keys look like: entries are spread over shards (locks) by their
/// path, so that every variant and partition of one URL lives in one shard and a URL purge takes one lock, but the
/// bytes are counted once for all shards, and the entry evicted is the one with the lowest rank among every shard's
/// victim (the policy's global order). Locks are held for index work only, never across I/O.
///
/// The total may pass the budget by the entries being inserted at that moment on other threads (each insert makes
/// room first, then evicts again until the total is within the budget).
public final class MemoryStore<Policy: EvictionPolicy>: Sendable {
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
    /// The tier's counts, in a class of their own: atomics stored in this generic class crash the Swift 6.3.1
    /// optimizer when a client module specializes its `init` (CopyPropagation, "Found outside of lifetime use").
    private let counts = MemoryCounts()

    public init(budget: Int, maxObject: Int, shards: Int = 16) {
        precondition(budget > 0 && maxObject > 0 && shards > 0, "budget, maxObject and shards must be positive")
        self.budget = budget
        self.maxObject = min(maxObject, budget)
        self.shards = (0..<shards).map { _ in LockedShard() }
    }

    private var floor: Double { Double(bitPattern: self.counts.floorBits.load(ordering: .relaxed)) }

    // MARK: - Reads

    /// Finds the variant of `key` whose secondary key matches, dropping entries past their eviction time.
    public func lookup(key: String, path: String, now: Double, matching: (VaryKey) -> Bool) -> StoreLookup {
        var key = key
        return key.withUTF8 { self.lookup(keyBytes: UnsafeRawBufferPointer($0), path: path, now: now, matching: matching) }
    }

    /// `lookup(key:path:now:matching:)` for a key given as its UTF-8 bytes: a caller that builds keys in a buffer it
    /// keeps makes no string for a hit.
    public func lookup(keyBytes key: UnsafeRawBufferPointer, path: String, now: Double, matching: (VaryKey) -> Bool) -> StoreLookup {
        let hash = MemoryHashing.key(bytes: key)
        let floor = self.floor
        let (result, dropped) = self.shard(forPathHash: MemoryHashing.path(path)).withLock { shard in
            let before = shard.bytes
            let result = shard.lookup(key: key, hash: hash, now: now, floor: floor, matching: matching)
            return (result, before - shard.bytes)
        }
        if dropped > 0 { self.account(bytes: -dropped, entries: -1) }
        return result
    }

    /// How often the entry was used here (0 when it is not stored): carried along when it moves to another tier.
    public func frequency(of response: CachedResponse) -> Int {
        let key = response.key
        return self.shard(forPathHash: MemoryHashing.path(response)).withLock {
            $0.frequency(key: key, hash: MemoryHashing.key(key), vary: response.vary)
        }
    }

    // MARK: - Writes

    /// Stores `response`. `onlyIf` is evaluated under the shard's lock, the lock every purge of this path takes too:
    /// a purge that a caller's condition observes (recorded before it purges) cannot slip between the check and the
    /// insert.
    @discardableResult
    public func insert(
        _ response: CachedResponse,
        traits: EntryTraits = EntryTraits(),
        now: Double,
        onlyIf condition: (() -> Bool)? = nil
    ) -> InsertResult {
        guard response.isInMemory, response.bodyLength <= self.maxObject, response.cost <= self.budget else { return .tooLarge }
        self.makeRoom(for: response.cost)
        let hash = MemoryHashing.key(response)
        let pathHash = MemoryHashing.path(response)
        let context = EvictionContext(now: now, floor: self.floor)
        let result: (InsertResult, bytes: Int, entries: Int) = self.shard(forPathHash: pathHash).withLock { shard in
            if let condition, !condition() { return (.refused, 0, 0) }
            let entriesBefore = shard.count
            let delta = shard.insert(response, hash: hash, pathHash: pathHash, traits: traits, context: context)
            return (.stored, delta, shard.count - entriesBefore)
        }
        guard result.0 == .stored else { return result.0 }
        self.account(bytes: result.bytes, entries: result.entries)
        // Another thread may have filled the room meanwhile.
        self.makeRoom(for: 0)
        return .stored
    }

    /// Drops every entry the selector names; returns how many entries were dropped.
    @discardableResult
    public func purge(_ selector: PurgeSelector) -> Int {
        let hashPath: (String) -> Int = MemoryHashing.path
        var dropped = (entries: 0, bytes: 0)
        if let path = selector.singlePath {
            dropped = self.shard(forPathHash: MemoryHashing.path(path)).withLock { $0.purge(selector, hashPath: hashPath) }
        } else {
            for shard in self.shards {
                let (entries, bytes) = shard.withLock { $0.purge(selector, hashPath: hashPath) }
                dropped.entries += entries
                dropped.bytes += bytes
            }
        }
        self.account(bytes: -dropped.bytes, entries: -dropped.entries)
        return dropped.entries
    }

    /// Drops everything; returns how many entries were dropped.
    @discardableResult
    public func removeAll() -> Int {
        var dropped = 0
        for shard in self.shards {
            let (entries, bytes) = shard.withLock { $0.removeAll() }
            self.account(bytes: -bytes, entries: -entries)
            dropped += entries
        }
        return dropped
    }

    /// Frees entries whose eviction time has passed (lookups also drop them lazily).
    @discardableResult
    public func sweep(now: Double) -> Int {
        var dropped = 0
        for shard in self.shards {
            let (entries, bytes) = shard.withLock { $0.sweep(now: now) }
            self.account(bytes: -bytes, entries: -entries)
            dropped += entries
        }
        return dropped
    }

    // MARK: - Eviction

    /// Evicts the globally lowest-ranked entries until `bytes` more fit in the budget.
    private func makeRoom(for bytes: Int) {
        while self.counts.total.load(ordering: .relaxed) + bytes > self.budget {
            guard self.evictOne() else { return }
        }
    }

    /// Evicts the victim with the lowest rank among the shards' victims; false when every shard is empty.
    private func evictOne() -> Bool {
        var best: (shard: LockedShard<Policy>, rank: Double)?
        for shard in self.shards {
            guard let rank = shard.withLock({ $0.victim()?.rank }) else { continue }
            if best == nil || rank < best!.rank { best = (shard, rank) }
        }
        guard let chosen = best?.shard, let (bytes, rank) = chosen.withLock({ $0.evictVictim() }) else {
            return best != nil
        }
        self.account(bytes: -bytes, entries: -1)
        self.counts.evicted.wrappingAdd(1, ordering: .relaxed)
        // L rises to the rank of what was evicted (GreedyDual aging); never falls.
        var current = self.counts.floorBits.load(ordering: .relaxed)
        while Double(bitPattern: current) < rank {
            let (exchanged, original) = self.counts.floorBits.compareExchange(
                expected: current,
                desired: rank.bitPattern,
                ordering: .relaxed
            )
            if exchanged { break }
            current = original
        }
        return true
    }

    private func account(bytes: Int, entries: Int) {
        if bytes != 0 { self.counts.total.wrappingAdd(bytes, ordering: .relaxed) }
        if entries != 0 { self.counts.entries.wrappingAdd(entries, ordering: .relaxed) }
    }

    // MARK: - Introspection

    public struct Statistics: Sendable, Equatable {
        public var entries: Int
        public var bytes: Int
        public var evictions: Int
    }

    public var statistics: Statistics {
        Statistics(
            entries: self.counts.entries.load(ordering: .relaxed),
            bytes: self.counts.total.load(ordering: .relaxed),
            evictions: self.counts.evicted.load(ordering: .relaxed)
        )
    }

    /// A snapshot of the stored entries (for the admin API), in no particular order.
    public func entries() -> [CachedResponse] {
        self.shards.flatMap { shard in shard.withLock { $0.allResponses() } }
    }

    private func shard(forPathHash hash: Int) -> LockedShard<Policy> {
        self.shards.count == 1 ? self.shards[0] : self.shards[Int(UInt(bitPattern: hash) % UInt(self.shards.count))]
    }
}

/// A shard's lock and state.
///
/// `@unchecked Sendable`: `shard` is only touched inside `withLock`, which holds `lock` for the whole access. (A
/// `Mutex` would say this itself, but its `sending` closure rules reject the non-escaping `Vary` matcher the lookup
/// passes in, which never leaves the call.)
final class LockedShard<Policy: EvictionPolicy>: @unchecked Sendable {
    private let lock = NIOLock()
    private var shard = Shard<Policy>()

    @inline(__always)
    func withLock<R>(_ body: (inout Shard<Policy>) -> R) -> R {
        self.lock.withLock { body(&self.shard) }
    }
}

/// The hashes the memory tier indexes by: seeded per process (`Hasher`), so that request targets cannot be chosen to
/// collide.
enum MemoryHashing {
    static func key(_ key: String) -> Int {
        var key = key
        return key.withUTF8 { Self.key(bytes: UnsafeRawBufferPointer($0)) }
    }

    static func key(bytes: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return hasher.finalize()
    }

    static func key(_ response: CachedResponse) -> Int {
        response.storage.withUnsafeReadableBytes { bytes in
            var hasher = Hasher()
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes.prefix(Int(response.layout.keyLength))))
            return hasher.finalize()
        }
    }

    static func path(_ path: String) -> Int {
        var path = path
        return path.withUTF8 { bytes in
            var hasher = Hasher()
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            return hasher.finalize()
        }
    }

    /// The hash of the path part of the entry's target (up to `?`).
    static func path(_ response: CachedResponse) -> Int {
        response.storage.withUnsafeReadableBytes { bytes in
            let target = UnsafeRawBufferPointer(
                rebasing: bytes[Int(response.layout.targetStart)..<Int(response.layout.targetStart + response.layout.targetLength)]
            )
            let end = target.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex
            var hasher = Hasher()
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: target[..<end]))
            return hasher.finalize()
        }
    }
}

/// `MemoryStore`'s counts (see `MemoryStore.counts`).
final class MemoryCounts: Sendable {
    let total = Atomic<Int>(0)
    let entries = Atomic<Int>(0)
    let evicted = Atomic<Int>(0)
    /// GreedyDual's L (the rank of the last eviction), as a `Double` bit pattern.
    let floorBits = Atomic<UInt64>(0)
}
