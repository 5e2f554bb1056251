/// Chooses which entry to drop when a shard is over its budget. Entries are named by an opaque id.
///
/// A policy is owned by one shard and only called with that shard's lock held.
public protocol EvictionPolicy {
    init()
    /// A new entry was stored.
    mutating func inserted(_ id: UInt64)
    /// An entry was read (a hit).
    mutating func touched(_ id: UInt64)
    /// An entry left the shard for any reason.
    mutating func removed(_ id: UInt64)
    /// The entry to evict next, without removing it; nil when empty.
    func victim() -> UInt64?
}

/// Least recently used: a doubly linked list threaded through a dictionary.
public struct LRUPolicy: EvictionPolicy {
    private struct Link {
        var previous: UInt64?
        var next: UInt64?
    }

    private var links: [UInt64: Link] = [:]
    /// Most recently used.
    private var head: UInt64?
    /// Least recently used.
    private var tail: UInt64?

    public init() {}

    public mutating func inserted(_ id: UInt64) {
        self.links[id] = Link(previous: nil, next: self.head)
        if let head = self.head { self.links[head]?.previous = id }
        self.head = id
        if self.tail == nil { self.tail = id }
    }

    public mutating func touched(_ id: UInt64) {
        guard self.head != id, self.links[id] != nil else { return }
        self.unlink(id)
        self.inserted(id)
    }

    public mutating func removed(_ id: UInt64) {
        guard self.links[id] != nil else { return }
        self.unlink(id)
    }

    public func victim() -> UInt64? { self.tail }

    private mutating func unlink(_ id: UInt64) {
        guard let link = self.links.removeValue(forKey: id) else { return }
        if let previous = link.previous { self.links[previous]?.next = link.next } else { self.head = link.next }
        if let next = link.next { self.links[next]?.previous = link.previous } else { self.tail = link.previous }
    }
}
