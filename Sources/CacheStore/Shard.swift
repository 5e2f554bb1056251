import HTTPCaching

/// The state behind one shard lock. Plain value type: every method runs with the lock held.
struct Shard<Policy: EvictionPolicy> {
    private struct Slot {
        var id: UInt64
        var response: CachedResponse
    }

    let budget: Int
    private(set) var bytes = 0
    private(set) var count = 0
    private(set) var evictions = 0
    private var nextID: UInt64 = 1
    private var policy = Policy()
    /// Primary key → stored variants.
    private var variants: [String: [Slot]] = [:]
    /// Entry id → primary key, for eviction.
    private var keysByID: [UInt64: String] = [:]
    /// Path → primary keys, for URL, path, prefix and pattern purges.
    private var keysByPath: [String: Set<String>] = [:]
    /// Tag → primary keys.
    private var keysByTag: [String: Set<String>] = [:]

    init(budget: Int) {
        self.budget = budget
    }

    mutating func lookup(key: String, now: Double, matching: (VaryKey) -> Bool) -> MemoryStore<Policy>.Lookup {
        guard let slots = self.variants[key] else { return .miss }
        for slot in slots where matching(slot.response.vary) {
            if now >= slot.response.evictAt {
                self.remove(id: slot.id, key: key)
                return .miss
            }
            self.policy.touched(slot.id)
            return .hit(slot.response)
        }
        return .varyMiss
    }

    mutating func insert(_ response: CachedResponse) {
        // A new response for the same key and secondary key replaces the old one (RFC 9111 §4.3.4, §3).
        if let slots = self.variants[response.key],
            let old = slots.first(where: { $0.response.vary == response.vary })
        {
            self.remove(id: old.id, key: response.key)
        }
        while self.bytes + response.cost > self.budget, let victim = self.policy.victim() {
            guard let key = self.keysByID[victim] else {
                self.policy.removed(victim)
                continue
            }
            self.remove(id: victim, key: key)
            self.evictions += 1
        }
        let id = self.nextID
        self.nextID &+= 1
        self.variants[response.key, default: []].append(Slot(id: id, response: response))
        self.keysByID[id] = response.key
        self.keysByPath[response.path, default: []].insert(response.key)
        for tag in response.tags { self.keysByTag[tag, default: []].insert(response.key) }
        self.policy.inserted(id)
        self.bytes += response.cost
        self.count += 1
    }

    mutating func purge(_ selector: PurgeSelector) -> Int {
        let partition = selector.partition
        var keys: [String] = []
        switch selector {
        case .target(let target, _):
            keys = self.keysByPath[target.pathWithoutQuery].map(Array.init) ?? []
            keys = keys.filter { self.variants[$0]?.first?.response.target == target }
        case .path(let path, _):
            keys = self.keysByPath[path].map(Array.init) ?? []
        case .prefix(let prefix, _):
            keys = self.keysByPath.filter { $0.key.hasPrefix(prefix) }.flatMap { $0.value }
        case .pathMatching(let predicate, _):
            keys = self.keysByPath.filter { predicate($0.key) }.flatMap { $0.value }
        case .tag(let tag, _):
            keys = self.keysByTag[tag].map(Array.init) ?? []
        case .keyID(let id):
            // An admin purge: a scan of the shard rather than an index every store would pay for.
            keys = self.variants.compactMap { key, slots in slots.contains { $0.response.keyID == id } ? key : nil }
        }
        var dropped = 0
        for key in keys {
            for slot in self.variants[key] ?? [] where partition == nil || slot.response.partition == partition {
                self.remove(id: slot.id, key: key)
                dropped += 1
            }
        }
        return dropped
    }

    mutating func sweep(now: Double) -> Int {
        var expired: [(UInt64, String)] = []
        for (key, slots) in self.variants {
            for slot in slots where now >= slot.response.evictAt { expired.append((slot.id, key)) }
        }
        for (id, key) in expired { self.remove(id: id, key: key) }
        return expired.count
    }

    mutating func removeAll() {
        for (key, slots) in self.variants {
            for slot in slots { self.remove(id: slot.id, key: key) }
        }
    }

    func allResponses() -> [CachedResponse] {
        self.variants.values.flatMap { $0.map(\.response) }
    }

    private mutating func remove(id: UInt64, key: String) {
        guard var slots = self.variants[key], let index = slots.firstIndex(where: { $0.id == id }) else { return }
        let response = slots.remove(at: index).response
        if slots.isEmpty {
            self.variants[key] = nil
            self.keysByPath[response.path]?.remove(key)
            if self.keysByPath[response.path]?.isEmpty == true { self.keysByPath[response.path] = nil }
            for tag in response.tags {
                self.keysByTag[tag]?.remove(key)
                if self.keysByTag[tag]?.isEmpty == true { self.keysByTag[tag] = nil }
            }
        } else {
            self.variants[key] = slots
        }
        self.keysByID[id] = nil
        self.policy.removed(id)
        self.bytes -= response.cost
        self.count -= 1
    }
}
