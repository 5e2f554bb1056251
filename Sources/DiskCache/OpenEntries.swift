import CacheStore
import NIOCore

/// An entry whose body stays in its file, kept open with its index record once a read has checked it: a later hit
/// is answered on the event loop from the record alone (no hop to the tier's threads, no `open`, no read of the
/// meta), and the body goes out with `sendfile` from the shared descriptor (each write passes its own offset).
/// The record's removal (purge, eviction, a newer copy) drops it; the descriptor closes when the last write that
/// uses it is done.
struct OpenEntry: Sendable {
    var entry: CachedResponse
    /// The cost to regenerate it, from the file's index part.
    var cost: Double
}

/// Which records hold an `OpenEntry`, oldest first, so that at most `limit` descriptors stay open (first in, first
/// out: an entry still hit after its turn is opened again by its next read). Records removed meanwhile leave stale
/// items behind, skipped when they come up and dropped when the queue grows past twice the limit.
struct OpenEntryQueue: Sendable {
    struct Item: Sendable, Equatable {
        var slot: Int32
        var sequence: UInt64
    }

    var limit: Int
    private(set) var count = 0
    private var order = CircularBuffer<Item>()

    init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Whether more entries are open than the limit allows.
    var isOver: Bool { self.count > self.limit }

    /// Notes a newly opened record.
    mutating func opened(_ item: Item) {
        self.count += 1
        self.order.append(item)
    }

    /// The oldest item (possibly stale: the caller checks its record, and calls `closed()` when it closes one).
    mutating func popOldest() -> Item? {
        self.order.popFirst()
    }

    /// A record that held an open entry closed it, or was removed.
    mutating func closed() {
        self.count -= 1
    }

    /// Whether stale items should be dropped (the queue holds more than twice what may be open).
    var needsCompaction: Bool { self.order.count > 2 * max(self.limit, 8) }

    /// Keeps only the items `isOpen` accepts, in order.
    mutating func compact(_ isOpen: (Item) -> Bool) {
        self.order = CircularBuffer(self.order.filter(isOpen))
    }
}
