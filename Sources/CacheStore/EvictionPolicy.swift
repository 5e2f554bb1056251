/// Chooses which entry a tier drops when it is over its budget.
///
/// Entries are named by slot: small integers that a shard hands out and reuses after removal, so that a policy keeps
/// its state in arrays (no hashing on the hit path). A policy is owned by one shard and only called with that shard's
/// lock held. A tier with several shards asks each for its victim and evicts the one with the lowest rank, so ranks
/// must be comparable across shards.
public protocol EvictionPolicy: Sendable {
    init()
    /// A new entry now occupies `slot`.
    mutating func inserted(_ slot: Int, traits: EntryTraits, bytes: Int, context: EvictionContext)
    /// The entry in `slot` was read (a hit).
    mutating func touched(_ slot: Int, context: EvictionContext)
    /// The entry in `slot` left for any reason (eviction, purge, replacement, expiry).
    mutating func removed(_ slot: Int)
    /// The entry to evict next and its rank (the lowest rank across shards goes first), without removing it; nil
    /// when empty. Mutating: a policy may settle deferred work here rather than on the hit path.
    mutating func victim() -> (slot: Int, rank: Double)?
    /// How many times the entry was used since it arrived (carried along when it moves to another tier).
    func frequency(of slot: Int) -> Int
}

/// What a policy is told on every event.
public struct EvictionContext: Sendable {
    /// The caller's clock (epoch seconds).
    public var now: Double
    /// GreedyDual's inflation value L: the rank of the last entry the tier evicted (0 for a fresh tier). Policies that
    /// do not age this way ignore it.
    public var floor: Double

    public init(now: Double, floor: Double = 0) {
        self.now = now
        self.floor = floor
    }
}

/// What the proxy decided about an entry when it stored it: not part of the response, but what a tier's eviction
/// weighs.
public struct EntryTraits: Sendable, Equatable {
    /// What it would cost to fetch the entry again: the rule's cost (`cost_header`: characters, tokens) when the
    /// upstream reported one, else the upstream's latency in milliseconds when it was fetched. At least 1.
    public var cost: Double
    /// Hits the entry has had in another tier (kept when it is promoted or loaded).
    public var frequency: Int

    public init(cost: Double = 1, frequency: Int = 1) {
        self.cost = max(1, cost.isFinite ? cost : 1)
        self.frequency = max(1, frequency)
    }
}

/// Least recently used: a doubly linked list threaded through two arrays. The rank is the time of the last use.
public struct LRUPolicy: EvictionPolicy {
    private var previous: [Int32] = []
    private var next: [Int32] = []
    private var lastUse: [Double] = []
    private var uses: [UInt32] = []
    /// Most recently used (-1: empty).
    private var head: Int32 = -1
    /// Least recently used.
    private var tail: Int32 = -1

    public init() {}

    public mutating func inserted(_ slot: Int, traits: EntryTraits, bytes: Int, context: EvictionContext) {
        while self.next.count <= slot {
            self.previous.append(-1)
            self.next.append(-1)
            self.lastUse.append(0)
            self.uses.append(0)
        }
        self.lastUse[slot] = context.now
        self.uses[slot] = UInt32(clamping: traits.frequency)
        self.linkAtHead(Int32(slot))
    }

    public mutating func touched(_ slot: Int, context: EvictionContext) {
        self.lastUse[slot] = context.now
        self.uses[slot] &+= 1
        guard self.head != Int32(slot) else { return }
        self.unlink(Int32(slot))
        self.linkAtHead(Int32(slot))
    }

    public mutating func removed(_ slot: Int) {
        self.unlink(Int32(slot))
    }

    public mutating func victim() -> (slot: Int, rank: Double)? {
        guard self.tail >= 0 else { return nil }
        return (Int(self.tail), self.lastUse[Int(self.tail)])
    }

    public func frequency(of slot: Int) -> Int { Int(self.uses[slot]) }

    private mutating func linkAtHead(_ slot: Int32) {
        self.previous[Int(slot)] = -1
        self.next[Int(slot)] = self.head
        if self.head >= 0 { self.previous[Int(self.head)] = slot }
        self.head = slot
        if self.tail < 0 { self.tail = slot }
    }

    private mutating func unlink(_ slot: Int32) {
        let before = self.previous[Int(slot)]
        let after = self.next[Int(slot)]
        if before >= 0 { self.next[Int(before)] = after } else if self.head == slot { self.head = after }
        if after >= 0 { self.previous[Int(after)] = before } else if self.tail == slot { self.tail = before }
        self.previous[Int(slot)] = -1
        self.next[Int(slot)] = -1
    }
}
