import HTTPCaching
import NIOCore

/// The cache as the proxy sees it: memory first, then the tiers below it in order (disk, then the fleet's Redis), and
/// the purge journal that guards every commit.
///
/// - A lookup asks memory at once (the hit path: no future, no lock but the shard's); a miss asks the tiers below,
///   and a hit there is promoted: copied into memory (when it fits) and into the tiers above the one that answered.
/// - A commit stores a complete response in every tier that takes its size, unless a purge that selects it ran since
///   its upstream fetch began (`mark()`): a slow read that raced a write never puts the pre-write answer back.
/// - A purge is recorded in the journal first, then applied to every tier.
public final class TieredStore<Policy: EvictionPolicy>: Sendable {
    public let memory: MemoryStore<Policy>
    /// In lookup order.
    public let lower: [any CacheTier]
    /// Every purge that reached this instance's tiers, numbered.
    public let journal: PurgeJournal
    private let compile: PathPatternCompiler

    public init(memory: MemoryStore<Policy>, lower: [any CacheTier] = [], compile: @escaping PathPatternCompiler) {
        self.memory = memory
        self.lower = lower
        self.compile = compile
        self.journal = PurgeJournal()
    }

    /// What a fetch (or a lookup below memory) remembers when it begins.
    public struct FetchMark: Sendable {
        /// The purge journal's number.
        public var purges: Int
        /// Each lower tier's commit token, in `lower`'s order.
        public var tokens: [Int?]
    }

    public func mark() -> FetchMark {
        FetchMark(purges: self.journal.current, tokens: self.lower.map { $0.commitToken() })
    }

    /// The largest body any tier takes: a response is collected for storing up to this size.
    public var maxObject: Int {
        self.lower.reduce(self.memory.maxObject) { max($0, $1.maxObject) }
    }

    /// The tier named `name`, if there is one below memory.
    public func tier(named name: String) -> (any CacheTier)? {
        self.lower.first { $0.name == name }
    }

    // MARK: - Lookups

    /// Memory only: the hit path.
    @inline(__always)
    public func lookup(key: String, path: String, now: Double, matching: (VaryKey) -> Bool) -> StoreLookup {
        self.memory.lookup(key: key, path: path, now: now, matching: matching)
    }

    /// Memory only, for a key given as its UTF-8 bytes (see `MemoryStore.lookup(keyBytes:path:now:matching:)`).
    public func lookup(keyBytes: UnsafeRawBufferPointer, path: String, now: Double, matching: (VaryKey) -> Bool) -> StoreLookup {
        self.memory.lookup(keyBytes: keyBytes, path: path, now: now, matching: matching)
    }

    /// An answer from below memory.
    public struct LowerHit: Sendable {
        public var entry: CachedResponse
        public var traits: EntryTraits
        /// The tier that had it ("disk", "l2").
        public var tier: String
    }

    /// What the tiers below memory said.
    public enum LowerAnswer: Sendable {
        case hit(LowerHit)
        /// A tier holds something under the key, but no variant matches the request's `Vary` fields (and no tier
        /// below it had one).
        case varyMiss
        case miss
    }

    /// Asks the tiers below memory in order, for a request that memory could not answer. Nil when none of them has to
    /// be waited for and none has anything under the key (the request goes on at once). A hit is promoted (memory,
    /// and the tiers above the one that answered) unless a purge that selects it ran since `mark`; then it is a miss.
    public func lookupBelow(_ request: TierRequest, mark: FetchMark, on eventLoop: EventLoop) -> EventLoopFuture<LowerAnswer>? {
        let promise = eventLoop.makePromise(of: LowerAnswer.self)
        switch self.lookupBelow(request, mark: mark, on: eventLoop, answer: { promise.succeed($0) }) {
        case .nothing:
            promise.succeed(.miss)
            return nil
        case .answered(let answer):
            promise.succeed(answer)
            return promise.futureResult
        case .later:
            return promise.futureResult
        }
    }

    /// What `lookupBelow(_:mark:on:answer:)` knew at once.
    public enum LowerLookup: Sendable {
        /// No tier below memory has anything under the key, and none had to be waited for.
        case nothing
        case answered(LowerAnswer)
        /// `answer` will be called, once, on the event loop given.
        case later
    }

    /// `lookupBelow(_:mark:on:)` with the answer given to `answer` on `eventLoop` when a tier must be waited for:
    /// no future (issue 18).
    public func lookupBelow(
        _ request: TierRequest,
        mark: FetchMark,
        on eventLoop: EventLoop,
        answer: @escaping @Sendable (LowerAnswer) -> Void
    ) -> LowerLookup {
        switch self.ask(request, from: 0, sawVary: false, mark: mark, on: eventLoop, answer: answer) {
        case .none: return .later
        case .some(.miss): return .nothing
        case .some(let answered): return .answered(answered)
        }
    }

    /// Asks the tiers from `start` on. Returns the answer when every tier asked knew at once; else nil, and the answer
    /// goes to `answer` on `eventLoop` once the tier waited for (and those below it, if need be) have answered.
    private func ask(
        _ request: TierRequest,
        from start: Int,
        sawVary: Bool,
        mark: FetchMark,
        on eventLoop: EventLoop,
        answer: @escaping @Sendable (LowerAnswer) -> Void
    ) -> LowerAnswer? {
        var index = start
        var sawVary = sawVary
        while index < self.lower.count {
            let tier = index
            let seen = sawVary
            switch self.lower[tier].lookup(request, on: eventLoop) {
            case .answered(.hit(let entry, let traits)):
                if let hit = self.promote(entry, traits: traits, from: tier, mark: mark, now: request.now) {
                    return .hit(hit)
                }
                return .miss
            case .answered(.varyMiss):
                sawVary = true
                index += 1
            case .answered(.miss):
                index += 1
            case .pending(let future):
                future.hop(to: eventLoop).whenComplete { result in
                    self.waited((try? result.get()) ?? .miss, tier: tier, sawVary: seen, request, mark, eventLoop, answer)
                }
                return nil
            case .later(let later):
                later.start { found in
                    if eventLoop.inEventLoop {
                        self.waited(found, tier: tier, sawVary: seen, request, mark, eventLoop, answer)
                    } else {
                        eventLoop.execute { self.waited(found, tier: tier, sawVary: seen, request, mark, eventLoop, answer) }
                    }
                }
                return nil
            }
        }
        return sawVary ? .varyMiss : .miss
    }

    /// What the tier waited for answered (on `eventLoop`): a hit is promoted, else the tiers below are asked.
    private func waited(
        _ found: TierLookup,
        tier: Int,
        sawVary: Bool,
        _ request: TierRequest,
        _ mark: FetchMark,
        _ eventLoop: EventLoop,
        _ answer: @escaping @Sendable (LowerAnswer) -> Void
    ) {
        if case .hit(let entry, let traits) = found {
            let hit = self.promote(entry, traits: traits, from: tier, mark: mark, now: request.now)
            return answer(hit.map { .hit($0) } ?? .miss)
        }
        let vary = sawVary || { if case .varyMiss = found { return true } else { return false } }()
        if let below = self.ask(request, from: tier + 1, sawVary: vary, mark: mark, on: eventLoop, answer: answer) {
            answer(below)
        }
    }

    /// Copies a lower tier's entry into memory and into the tiers above `tier`, unless a purge since `mark` selects it
    /// (then it may be what the purge dropped, and it is not served either).
    private func promote(_ entry: CachedResponse, traits: EntryTraits, from tier: Int, mark: FetchMark, now: Double) -> LowerHit? {
        guard self.journal.unpurged(entry, since: mark.purges) else { return nil }
        if entry.isInMemory {
            let result = self.memory.insert(entry, traits: traits, now: now) { self.journal.unpurged(entry, since: mark.purges) }
            if result == .refused { return nil }
            for above in 0..<tier where entry.bodyLength <= self.lower[above].maxObject {
                _ = self.lower[above].store(entry, traits: traits, token: mark.tokens[above], now: now) {
                    self.journal.unpurged(entry, since: mark.purges)
                }
            }
        }
        return LowerHit(entry: entry, traits: traits, tier: self.lower[tier].name)
    }

    // MARK: - Commits

    /// Stores `entry` in every tier that takes it, unless a purge that selects it ran since `mark`. Returns whether a
    /// tier took it.
    ///
    /// `sharedStored` is called once, with whether the shared tier (the fleet's Redis) stored it: false at once when
    /// there is no such tier or the entry is not for it, later when the write is decided.
    @discardableResult
    public func commit(
        _ entry: CachedResponse,
        traits: EntryTraits,
        mark: FetchMark,
        now: Double,
        sharedStored: (@Sendable (Bool) -> Void)? = nil
    ) -> Bool {
        guard self.journal.unpurged(entry, since: mark.purges) else {
            sharedStored?(false)
            return false
        }
        var stored = false
        if entry.isInMemory {
            switch self.memory.insert(entry, traits: traits, now: now, onlyIf: { self.journal.unpurged(entry, since: mark.purges) }) {
            case .refused:
                sharedStored?(false)
                return false
            case .stored: stored = true
            case .tooLarge: break
            }
        }
        var reported = false
        for (index, tier) in self.lower.enumerated() where entry.bodyLength <= tier.maxObject {
            if !entry.isInMemory && tier.isShared { continue }
            let written = tier.store(entry, traits: traits, token: mark.tokens[index], now: now) {
                self.journal.unpurged(entry, since: mark.purges)
            }
            stored = true
            if tier.isShared, let sharedStored, !reported {
                reported = true
                if let written {
                    written.whenComplete { sharedStored((try? $0.get()) ?? false) }
                } else {
                    sharedStored(false)
                }
            }
        }
        if !reported { sharedStored?(false) }
        return stored
    }

    /// An entry a shared tier answered outside a lookup (a refresh another instance made): copied into memory and the
    /// tiers above `tier`, unless a purge since `mark` selects it. Returns whether it may be used.
    @discardableResult
    public func adopt(_ entry: CachedResponse, traits: EntryTraits, fromTier name: String, mark: FetchMark, now: Double) -> Bool {
        guard let tier = self.lower.firstIndex(where: { $0.name == name }) else { return false }
        return self.promote(entry, traits: traits, from: tier, mark: mark, now: now) != nil
    }

    // MARK: - Purges

    public struct PurgeOutcome: Sendable {
        /// Entries dropped by each local tier, memory first.
        public var byTier: [(tier: String, dropped: Int)] = []
        /// Tiers that answer later (the fleet's Redis: deleted there, then fanned out to the other instances).
        public var pending: [(tier: String, report: EventLoopFuture<TierPurgeReport>)] = []

        /// Stored responses dropped: the largest count of any local tier (with a disk tier, what memory holds is also
        /// on disk, so this counts each response once).
        public var dropped: Int { self.byTier.map(\.dropped).max() ?? 0 }
    }

    /// Which tiers a purge reaches.
    public enum PurgeScope: Sendable {
        /// Every tier.
        case everywhere
        /// This instance's own tiers (memory, disk): another instance sent the purge, or the shared tiers get it
        /// apart (`.shared`, once for several local purges).
        case local
        /// The shared tiers only (the fleet's Redis, and through it the other instances).
        case shared
    }

    /// Records `purges` in the journal (fetches in flight will not store what they select), then applies them to the
    /// tiers `scope` names.
    @discardableResult
    public func purge(_ purges: [Purge], scope: PurgeScope = .everywhere) -> PurgeOutcome {
        var compiled: [(purge: Purge, selector: PurgeSelector?)] = []
        for purge in purges {
            if purge.selector == .all {
                compiled.append((purge, nil))
            } else if let selector = PurgeSelector(purge, compile: self.compile) {
                compiled.append((purge, selector))
            }
        }
        let selectors = compiled.map(\.selector)
        var outcome = PurgeOutcome()
        if scope != .shared {
            // Before, not after: `insert` checks the journal under the shard lock that the purge then takes, so no
            // commit lands in between.
            outcome.byTier.append(("memory", self.recordAndPurgeMemory(selectors)))
        }
        for tier in self.lower where purges.count > 0 {
            switch scope {
            case .everywhere: break
            case .local: if tier.isShared { continue }
            case .shared: if !tier.isShared { continue }
            }
            // A shared tier gets every purge as written (each instance compiles patterns itself).
            let given = tier.isShared ? purges.map { (purge: $0, selector: PurgeSelector?.none) } : compiled
            switch tier.purge(given) {
            case .done(let dropped): outcome.byTier.append((tier.name, dropped))
            case .pending(let report) where tier.isShared:
                // Once the shared tier confirms, this instance's tiers are purged once more (before the writer hears
                // back): a lookup that marked after the first pass but read the shared tier before its delete
                // promoted the pre-purge entry into them.
                outcome.pending.append((tier.name, report.map { done in
                    self.purgeLocalTiers(compiled)
                    return done
                }))
            case .pending(let report): outcome.pending.append((tier.name, report))
            }
        }
        if scope != .shared, self.lower.contains(where: { !$0.isShared }) {
            // Memory once more, after the tiers below it: a lookup that marked after the journal record but found the
            // entry in a lower tier before that tier dropped it (a disk read in flight) is refused when it promotes,
            // or its copy is dropped here if it promoted already. Found by bench/soak.sh as stale reads from disk.
            self.recordAndPurgeMemory(selectors)
        }
        return outcome
    }

    /// Records the selectors in the journal (commits that began earlier will not store what they select), then drops
    /// what they select from memory. Returns the entries dropped.
    @discardableResult
    private func recordAndPurgeMemory(_ selectors: [PurgeSelector?]) -> Int {
        self.journal.record(selectors)
        var dropped = 0
        for selector in selectors {
            dropped += selector.map { self.memory.purge($0) } ?? self.memory.removeAll()
        }
        return dropped
    }

    /// The local pass again (`purge` with scope `.local`: memory, the tiers that are not shared, memory once more), so
    /// that a lookup racing it cannot promote what it drops either (an entry promoted from the shared tier into the
    /// disk, read back into memory and served after the write: found by bench/soak.sh with the disk tier on).
    private func purgeLocalTiers(_ compiled: [(purge: Purge, selector: PurgeSelector?)]) {
        self.purge(compiled.map(\.purge), scope: .local)
    }
}
