import CacheStore
import HTTPCaching

/// What the disk tier knows in memory of each file: enough to answer a lookup that misses without any I/O, to choose
/// what to evict, and to apply every kind of purge. Keys and targets are kept as hashes (the file holds the full key,
/// checked on every read); paths, partitions and tag lists are kept once each however many entries share them.
/// A value type under the tier's lock.
struct DiskIndex<Policy: EvictionPolicy>: Sendable {
    struct Record: Sendable {
        var sequence: UInt64
        var keyHash: Int
        var targetHash: Int
        var vary: VaryKey
        var path: Int32
        var partition: Int32
        var tags: Int32
        var keyID: String
        var bodyLength: Int
        /// Bytes charged against the budget: the file's size in whole 4 KiB blocks.
        var fileBytes: Int
        var evictAt: Double
        /// The body's checksum was verified by this process (a file never changes once renamed into place).
        var verified: Bool
        var nextInChain: Int32 = -1
        /// The entry, open, once a read checked it (its body stays in its file); see `OpenEntry`.
        var open: OpenEntry? = nil
    }

    private(set) var bytes = 0
    private(set) var count = 0
    private(set) var evictions = 0
    private var slots: [Record?] = []
    private var free: [Int32] = []
    private var chains: [Int: Int32] = [:]
    private var bySequence: [UInt64: Int32] = [:]
    private var strings = Interner<String>()
    private var tagLists = Interner<[String]>()
    private var policy = Policy()
    private var openEntries = OpenEntryQueue(limit: DiskIndex.defaultOpenLimit)

    /// Descriptors kept open for hits by default (`DiskTier.Options.openFiles`).
    static var defaultOpenLimit: Int { 256 }

    var openLimit: Int {
        get { self.openEntries.limit }
        set { self.openEntries.limit = max(0, newValue) }
    }

    /// Records holding an open entry.
    var openCount: Int { self.openEntries.count }

    // MARK: Lookup

    /// The record of `key`'s variant that `matches` accepts, touched as a hit; `.varyMiss` when the key is stored
    /// with other variants only.
    mutating func lookup(keyHash: Int, now: Double, matching: (VaryKey) -> Bool) -> (Record?, sawKey: Bool) {
        var slot = self.chains[keyHash] ?? -1
        var sawKey = false
        while slot >= 0 {
            guard let record = self.slots[Int(slot)] else { break }
            if record.keyHash == keyHash {
                sawKey = true
                if matching(record.vary) {
                    if record.evictAt <= now { return (nil, false) }
                    self.policy.touched(Int(slot), context: EvictionContext(now: now))
                    return (record, true)
                }
            }
            slot = record.nextInChain
        }
        return (nil, sawKey)
    }

    func record(sequence: UInt64) -> Record? {
        self.bySequence[sequence].flatMap { self.slots[Int($0)] }
    }

    func frequency(sequence: UInt64) -> Int {
        self.bySequence[sequence].map { self.policy.frequency(of: Int($0)) } ?? 1
    }

    /// Keeps `open` with the record of `sequence` (when it is still indexed and holds none), closing the oldest
    /// open entries past the limit.
    mutating func attach(_ open: OpenEntry, sequence: UInt64) {
        guard self.openEntries.limit > 0, let slot = self.bySequence[sequence], self.slots[Int(slot)]?.open == nil else {
            return
        }
        self.slots[Int(slot)]?.open = open
        self.openEntries.opened(.init(slot: slot, sequence: sequence))
        while self.openEntries.isOver, let oldest = self.openEntries.popOldest() {
            guard self.isOpen(oldest) else { continue }
            self.slots[Int(oldest.slot)]?.open = nil
            self.openEntries.closed()
        }
        if self.openEntries.needsCompaction {
            var queue = self.openEntries
            self.openEntries = OpenEntryQueue(limit: queue.limit)
            queue.compact { self.isOpen($0) }
            self.openEntries = queue
        }
    }

    private func isOpen(_ item: OpenEntryQueue.Item) -> Bool {
        guard let record = self.slots[Int(item.slot)] else { return false }
        return record.sequence == item.sequence && record.open != nil
    }

    mutating func markVerified(sequence: UInt64) {
        guard let slot = self.bySequence[sequence] else { return }
        self.slots[Int(slot)]?.verified = true
    }

    // MARK: Insert and remove

    /// Adds a record built from an entry's index part; returns the sequence numbers whose files are no longer
    /// wanted: the same key and variant stored before (or after: the higher number wins, so a scan in any order ends
    /// with the newest), and nothing else.
    mutating func insert(_ part: EntryFile.IndexPart, fileBytes: Int, verified: Bool, keyHash: Int) -> [UInt64] {
        var superseded: [UInt64] = []
        var slot = self.chains[keyHash] ?? -1
        while slot >= 0, let existing = self.slots[Int(slot)] {
            let next = existing.nextInChain
            if existing.keyHash == keyHash, existing.vary == part.vary {
                if existing.sequence > part.sequence { return [part.sequence] }
                superseded.append(existing.sequence)
                self.remove(slot: Int(slot))
                break
            }
            slot = next
        }
        let record = Record(
            sequence: part.sequence,
            keyHash: keyHash,
            targetHash: DiskHashing.hash(part.target),
            vary: part.vary,
            path: self.strings.intern(part.target.pathWithoutQuery),
            partition: self.strings.intern(part.partition),
            tags: self.tagLists.intern(part.tags),
            keyID: part.keyID,
            bodyLength: part.bodyLength,
            fileBytes: fileBytes,
            evictAt: part.evictAt,
            verified: verified,
            nextInChain: self.chains[keyHash] ?? -1
        )
        let newSlot: Int
        if let reused = self.free.popLast() {
            newSlot = Int(reused)
            self.slots[newSlot] = record
        } else {
            newSlot = self.slots.count
            self.slots.append(record)
        }
        self.chains[keyHash] = Int32(newSlot)
        self.bySequence[part.sequence] = Int32(newSlot)
        self.policy.inserted(newSlot, traits: part.traits, bytes: fileBytes, context: EvictionContext(now: 0, floor: self.floor))
        self.bytes += fileBytes
        self.count += 1
        return superseded
    }

    /// GreedyDual's L for the disk tier.
    private(set) var floor: Double = 0

    /// Removes the record of `sequence`; returns whether there was one.
    @discardableResult
    mutating func remove(sequence: UInt64) -> Bool {
        guard let slot = self.bySequence[sequence] else { return false }
        self.remove(slot: Int(slot))
        return true
    }

    /// Evicts until `incoming` more bytes fit in `budget`; returns the files to remove.
    mutating func evict(toFit incoming: Int, budget: Int) -> [UInt64] {
        var evicted: [UInt64] = []
        while self.bytes + incoming > budget, let (slot, rank) = self.policy.victim() {
            guard let record = self.slots[slot] else {
                self.policy.removed(slot)
                continue
            }
            evicted.append(record.sequence)
            self.remove(slot: slot)
            self.floor = max(self.floor, rank)
            self.evictions += 1
        }
        return evicted
    }

    /// Removes records past their eviction time; returns their files.
    mutating func expire(now: Double) -> [UInt64] {
        var expired: [UInt64] = []
        for slot in self.slots.indices {
            if let record = self.slots[slot], record.evictAt <= now {
                expired.append(record.sequence)
                self.remove(slot: slot)
            }
        }
        return expired
    }

    /// Removes every record `selector` names (nil: all); returns their files.
    mutating func purge(_ selector: PurgeSelector?) -> [UInt64] {
        var doomed: [Int] = []
        for slot in self.slots.indices {
            guard let record = self.slots[slot] else { continue }
            if let selector, !self.matches(selector, record) { continue }
            doomed.append(slot)
        }
        return doomed.map { slot in
            let sequence = self.slots[slot]!.sequence
            self.remove(slot: slot)
            return sequence
        }
    }

    func matches(_ selector: PurgeSelector, _ record: Record) -> Bool {
        selector.matches(
            partition: self.strings.value(record.partition),
            target: { DiskHashing.hash($0) == record.targetHash },
            path: { self.strings.value(record.path) },
            tags: self.tagLists.value(record.tags),
            keyID: record.keyID
        )
    }

    private mutating func remove(slot: Int) {
        guard let record = self.slots[slot] else { return }
        if self.chains[record.keyHash] == Int32(slot) {
            self.chains[record.keyHash] = record.nextInChain >= 0 ? record.nextInChain : nil
        } else {
            var previous = self.chains[record.keyHash] ?? -1
            while previous >= 0, let current = self.slots[Int(previous)], current.nextInChain != Int32(slot) {
                previous = current.nextInChain
            }
            if previous >= 0 { self.slots[Int(previous)]?.nextInChain = record.nextInChain }
        }
        self.bySequence[record.sequence] = nil
        if record.open != nil { self.openEntries.closed() }
        self.strings.release(record.path)
        self.strings.release(record.partition)
        self.tagLists.release(record.tags)
        self.policy.removed(slot)
        self.slots[slot] = nil
        self.free.append(Int32(slot))
        self.bytes -= record.fileBytes
        self.count -= 1
    }
}

/// Keeps one copy of each value however many records use it, with a use count.
struct Interner<Value: Hashable & Sendable>: Sendable {
    private var ids: [Value: Int32] = [:]
    private var values: [Value?] = []
    private var uses: [Int] = []
    private var free: [Int32] = []

    mutating func intern(_ value: Value) -> Int32 {
        if let id = self.ids[value] {
            self.uses[Int(id)] += 1
            return id
        }
        let id: Int32
        if let reused = self.free.popLast() {
            id = reused
            self.values[Int(id)] = value
            self.uses[Int(id)] = 1
        } else {
            id = Int32(self.values.count)
            self.values.append(value)
            self.uses.append(1)
        }
        self.ids[value] = id
        return id
    }

    func value(_ id: Int32) -> Value {
        self.values[Int(id)]!
    }

    mutating func release(_ id: Int32) {
        self.uses[Int(id)] -= 1
        guard self.uses[Int(id)] == 0, let value = self.values[Int(id)] else { return }
        self.ids[value] = nil
        self.values[Int(id)] = nil
        self.free.append(id)
    }
}

/// The disk index's hashes: seeded per process (`Hasher`), like the memory tier's; never written to disk.
enum DiskHashing {
    static func hash(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            var hasher = Hasher()
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            return hasher.finalize()
        }
    }
}
