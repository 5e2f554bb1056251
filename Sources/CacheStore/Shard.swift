import HTTPCaching

/// The state behind one shard lock. Plain value type: every method runs with the lock held.
///
/// Entries live in slots (an array, reused through a free list); the indexes hold slot numbers, not keys: a table of
/// key hashes to the first slot of a chain (the key's `Vary` variants, and keys whose hashes collide), a table of path
/// hashes to a doubly linked list of that path's slots (URL and path purges), and a table of tags. No per-entry
/// string or set is allocated for the index: the key and target are read from the entry's own buffer.
struct Shard<Policy: EvictionPolicy> {
    struct Slot {
        var response: CachedResponse?
        /// Next slot of the same key-hash chain (-1: end).
        var nextInChain: Int32 = -1
        var nextInPath: Int32 = -1
        var previousInPath: Int32 = -1
    }

    private(set) var bytes = 0
    private(set) var count = 0
    private var slots: [Slot] = []
    private var free: [Int32] = []
    private var chains: [Int: Int32] = [:]
    private var paths: [Int: Int32] = [:]
    private var tagged: [String: Set<Int32>] = [:]
    private var policy = Policy()

    // MARK: Lookup

    /// `key`: the key's UTF-8 bytes (`hash` is `MemoryHashing.key` of them).
    mutating func lookup(
        key: UnsafeRawBufferPointer,
        hash: Int,
        now: Double,
        floor: Double,
        matching: (VaryKey) -> Bool
    ) -> StoreLookup {
        guard var slot = self.chains[hash] else { return .miss }
        var sawKey = false
        while slot >= 0 {
            let current = self.slots[Int(slot)]
            if let response = current.response, response.hasKey(bytes: key) {
                sawKey = true
                if matching(response.vary) {
                    if now >= response.evictAt {
                        self.remove(Int(slot))
                        return .miss
                    }
                    self.policy.touched(Int(slot), context: EvictionContext(now: now, floor: floor))
                    return .hit(response)
                }
            }
            slot = current.nextInChain
        }
        return sawKey ? .varyMiss : .miss
    }

    /// The entry's hits so far in this tier (0 when absent).
    func frequency(key: String, hash: Int, vary: VaryKey) -> Int {
        var slot = self.chains[hash] ?? -1
        while slot >= 0 {
            if let response = self.slots[Int(slot)].response, response.hasKey(key), response.vary == vary {
                return self.policy.frequency(of: Int(slot))
            }
            slot = self.slots[Int(slot)].nextInChain
        }
        return 0
    }

    // MARK: Insert and evict

    /// Stores `response` (replacing the same key and variant); returns the change in bytes.
    mutating func insert(_ response: CachedResponse, hash: Int, pathHash: Int, traits: EntryTraits, context: EvictionContext) -> Int {
        let before = self.bytes
        // A new response for the same key and secondary key replaces the old one (RFC 9111 §4.3.4, §3).
        var existing = self.chains[hash] ?? -1
        while existing >= 0 {
            let next = self.slots[Int(existing)].nextInChain
            if let old = self.slots[Int(existing)].response, old.vary == response.vary, old.hasSameKey(as: response) {
                self.remove(Int(existing))
                break
            }
            existing = next
        }
        let slot = self.allocateSlot()
        self.slots[slot].response = response
        self.slots[slot].nextInChain = self.chains[hash] ?? -1
        self.chains[hash] = Int32(slot)
        let pathHead = self.paths[pathHash] ?? -1
        self.slots[slot].nextInPath = pathHead
        self.slots[slot].previousInPath = -1
        if pathHead >= 0 { self.slots[Int(pathHead)].previousInPath = Int32(slot) }
        self.paths[pathHash] = Int32(slot)
        for tag in response.tags { self.tagged[tag, default: []].insert(Int32(slot)) }
        self.policy.inserted(slot, traits: traits, bytes: response.cost, context: context)
        self.bytes += response.cost
        self.count += 1
        return self.bytes - before
    }

    /// The entry this shard would evict next, and its rank.
    mutating func victim() -> (slot: Int, rank: Double)? {
        self.policy.victim()
    }

    /// Evicts this shard's next victim; returns the bytes freed and its rank.
    mutating func evictVictim() -> (bytes: Int, rank: Double)? {
        guard let (slot, rank) = self.policy.victim() else { return nil }
        let before = self.bytes
        self.remove(slot)
        return (before - self.bytes, rank)
    }

    // MARK: Purge

    /// Drops every entry `selector` names; returns (entries, bytes) dropped.
    mutating func purge(_ selector: PurgeSelector, hashPath: (String) -> Int) -> (entries: Int, bytes: Int) {
        var doomed: [Int] = []
        switch selector {
        case .target(let target, _):
            self.forEachSlot(onPath: hashPath(target.pathWithoutQuery)) { slot, response in
                if response.hasTarget(target), selector.matches(response) { doomed.append(slot) }
            }
        case .path(let path, _):
            self.forEachSlot(onPath: hashPath(path)) { slot, response in
                if selector.matches(response) { doomed.append(slot) }
            }
        case .tag(let tag, _):
            for slot in self.tagged[tag] ?? [] {
                if let response = self.slots[Int(slot)].response, selector.matches(response) { doomed.append(Int(slot)) }
            }
        case .prefix, .pathMatching, .keyID:
            // Rare (writes, admin): a scan rather than an index every store would pay for.
            for (slot, entry) in self.slots.enumerated() {
                if let response = entry.response, selector.matches(response) { doomed.append(slot) }
            }
        }
        let before = self.bytes
        for slot in doomed { self.remove(slot) }
        return (doomed.count, before - self.bytes)
    }

    /// Drops entries past their eviction time; returns (entries, bytes).
    mutating func sweep(now: Double) -> (entries: Int, bytes: Int) {
        let before = (self.count, self.bytes)
        for (slot, entry) in self.slots.enumerated() where (entry.response?.evictAt ?? .infinity) <= now {
            self.remove(slot)
        }
        return (before.0 - self.count, before.1 - self.bytes)
    }

    /// Drops everything; returns (entries, bytes).
    mutating func removeAll() -> (entries: Int, bytes: Int) {
        let before = (self.count, self.bytes)
        for slot in self.slots.indices where self.slots[slot].response != nil { self.remove(slot) }
        return before
    }

    func allResponses() -> [CachedResponse] {
        self.slots.compactMap(\.response)
    }

    // MARK: Slots

    private mutating func allocateSlot() -> Int {
        if let slot = self.free.popLast() { return Int(slot) }
        self.slots.append(Slot())
        return self.slots.count - 1
    }

    private func forEachSlot(onPath pathHash: Int, _ body: (Int, CachedResponse) -> Void) {
        var slot = self.paths[pathHash] ?? -1
        while slot >= 0 {
            let entry = self.slots[Int(slot)]
            if let response = entry.response { body(Int(slot), response) }
            slot = entry.nextInPath
        }
    }

    private mutating func remove(_ slot: Int) {
        guard let response = self.slots[slot].response else { return }
        // The key chain: found from its head by the key's hash.
        let hash = MemoryHashing.key(response)
        if self.chains[hash] == Int32(slot) {
            let next = self.slots[slot].nextInChain
            self.chains[hash] = next >= 0 ? next : nil
        } else {
            var previous = self.chains[hash] ?? -1
            while previous >= 0, self.slots[Int(previous)].nextInChain != Int32(slot) {
                previous = self.slots[Int(previous)].nextInChain
            }
            if previous >= 0 { self.slots[Int(previous)].nextInChain = self.slots[slot].nextInChain }
        }
        // The path list: doubly linked.
        let before = self.slots[slot].previousInPath
        let after = self.slots[slot].nextInPath
        if after >= 0 { self.slots[Int(after)].previousInPath = before }
        if before >= 0 {
            self.slots[Int(before)].nextInPath = after
        } else {
            let pathHash = MemoryHashing.path(response)
            if after >= 0 { self.paths[pathHash] = after } else { self.paths[pathHash] = nil }
        }
        for tag in response.tags {
            self.tagged[tag]?.remove(Int32(slot))
            if self.tagged[tag]?.isEmpty == true { self.tagged[tag] = nil }
        }
        self.policy.removed(slot)
        self.slots[slot] = Slot()
        self.free.append(Int32(slot))
        self.bytes -= response.cost
        self.count -= 1
    }
}

/// The lookup's answer, whichever tier gave it.
public enum StoreLookup: Sendable {
    case hit(CachedResponse)
    /// Something is stored under this key, but no variant matches the request's `Vary` fields.
    case varyMiss
    case miss
}
