import NIOCore
import Synchronization

/// The recent purges that reached this instance's tiers, numbered. A fetch remembers the number current when it began; when it
/// completes, its response is stored only if none of the purges since then selects it. A purge elsewhere in
/// the cache (another path, another tag, another partition) does not cost a fetch in flight its storing; a purge
/// that does select it means the fetch may have raced the write that caused it, and storing would bring the
/// pre-write answer back.
///
/// The journal keeps the last `capacity` purges; a fetch older than all of them is refused (it cannot prove
/// that nothing it missed selects it). `Mutex` for the list, an atomic for the number: a fetch that saw no
/// purge at all pays one atomic load.
public final class PurgeJournal: Sendable {
    /// One recorded purge: nil selector means "everything".
    private struct Record {
        var number: Int
        var selector: PurgeSelector?
    }

    private let latest = Atomic<Int>(0)
    /// A ring: once full, each record drops the oldest in O(1). (An array's `removeFirst` moved the whole journal,
    /// 1024 records, on every write-invalidate: 2.8% of a pass-through POST's CPU.)
    private let records: Mutex<CircularBuffer<Record>>
    public let capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = capacity
        self.records = Mutex(CircularBuffer(initialCapacity: 16))
    }

    /// The number a fetch remembers.
    public var current: Int { self.latest.load(ordering: .acquiring) }

    /// Records purges before they are applied: an insert that checks afterwards (under the shard lock the purge
    /// then takes) sees them, and one that checked before is dropped by the purge itself. `nil` purges all.
    public func record(_ selectors: [PurgeSelector?]) {
        guard !selectors.isEmpty else { return }
        self.records.withLock { records in
            var number = self.latest.load(ordering: .relaxed)
            for selector in selectors {
                number += 1
                records.append(Record(number: number, selector: selector))
            }
            while records.count > self.capacity { records.removeFirst() }
            self.latest.store(number, ordering: .releasing)
        }
    }

    /// Whether no purge recorded after `mark` selects `response`.
    public func unpurged(_ response: CachedResponse, since mark: Int) -> Bool {
        self.unpurged(since: mark) { $0.matches(response) }
    }

    /// Whether no purge recorded after `mark` selects the entry `probe` describes (a fetch still in flight).
    public func unpurged(_ probe: PurgeProbe, since mark: Int) -> Bool {
        self.unpurged(since: mark) { probe.isSelected(by: $0) }
    }

    private func unpurged(since mark: Int, selects: (PurgeSelector) -> Bool) -> Bool {
        if self.latest.load(ordering: .acquiring) == mark { return true }
        return self.records.withLock { records in
            // Every purge after `mark` must still be here, or one that selects the response may be gone.
            guard let oldest = records.first, oldest.number <= mark + 1 else { return false }
            for record in records.reversed() {
                guard record.number > mark else { break }
                guard let selector = record.selector, !selects(selector) else { return false }
            }
            return true
        }
    }
}

/// What a purge selector reads of an entry, for a response still being fetched (no `CachedResponse` yet).
public struct PurgeProbe: Sendable {
    public var partition: String
    public var target: String
    public var path: String
    public var tags: [String]
    public var keyID: String

    public init(partition: String, target: String, path: String, tags: [String], keyID: String) {
        self.partition = partition
        self.target = target
        self.path = path
        self.tags = tags
        self.keyID = keyID
    }

    /// `PurgeSelector.matches` for the entry this fetch would store.
    public func isSelected(by selector: PurgeSelector) -> Bool {
        switch selector {
        case .target(let target, let partition): return self.in(partition) && self.target == target
        case .path(let path, let partition): return self.in(partition) && self.path == path
        case .prefix(let prefix, let partition): return self.in(partition) && self.path.hasPrefix(prefix)
        case .pathMatching(let predicate, let partition): return self.in(partition) && predicate(self.path)
        case .tag(let tag, let partition): return self.in(partition) && self.tags.contains(tag)
        case .keyID(let id): return !id.isEmpty && self.keyID == id
        }
    }

    private func `in`(_ partition: String?) -> Bool {
        partition.map { $0 == self.partition } ?? true
    }
}
