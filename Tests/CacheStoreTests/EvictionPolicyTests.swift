import CacheStore
import HTTPCaching
import NIOCore
import Testing

/// Eviction policies from tables of named access sequences: each case stores and reads entries of exact sizes and
/// costs against a byte budget, one step per second, and names the entries left at the end under LRU and under
/// GreedyDual-Size-Frequency.
@Suite struct EvictionPolicyTests {
    enum Step: Sendable {
        case store(String, bytes: Int, cost: Double)
        case hit(String)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let budget: Int
        let steps: [Step]
        let lru: Set<String>
        let gdsf: Set<String>
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(
            name: "a small answer that cost much outlives a large page that cost little",
            budget: 9_500,
            steps: [
                .store("list", bytes: 1_000, cost: 2_000), .store("page", bytes: 8_000, cost: 600),
                .store("page2", bytes: 8_000, cost: 600),
            ],
            lru: ["page2"],
            gdsf: ["list", "page2"]
        ),
        Case(
            name: "a hit moves an entry to the front",
            budget: 3_000,
            steps: [
                .store("a", bytes: 1_000, cost: 10), .store("b", bytes: 1_000, cost: 10), .store("c", bytes: 1_000, cost: 11),
                .hit("a"), .store("d", bytes: 1_000, cost: 10),
            ],
            lru: ["a", "c", "d"],
            gdsf: ["a", "c", "d"]
        ),
        Case(
            name: "frequency outweighs recency",
            budget: 3_000,
            steps: [
                .store("a", bytes: 1_000, cost: 10), .store("b", bytes: 1_000, cost: 10), .store("c", bytes: 1_000, cost: 10),
                .hit("a"), .hit("a"), .hit("a"), .hit("b"), .hit("c"), .hit("c"), .store("d", bytes: 1_000, cost: 10),
            ],
            lru: ["b", "c", "d"],
            gdsf: ["a", "c", "d"]
        ),
        Case(
            name: "an entry popular long ago still stands after ten newcomers",
            budget: 3_000,
            steps: [.store("a", bytes: 1_000, cost: 10)] + Array(repeating: Step.hit("a"), count: 5)
                + (1...12).map { Step.store("n\($0)", bytes: 1_000, cost: 10 + Double($0) / 10) },
            lru: ["n10", "n11", "n12"],
            gdsf: ["a", "n11", "n12"]
        ),
        Case(
            name: "but ages out as L rises past it (GreedyDual's inflation)",
            budget: 3_000,
            steps: [.store("a", bytes: 1_000, cost: 10)] + Array(repeating: Step.hit("a"), count: 5)
                + (1...13).map { Step.store("n\($0)", bytes: 1_000, cost: 10 + Double($0) / 10) },
            lru: ["n11", "n12", "n13"],
            gdsf: ["n11", "n12", "n13"]
        ),
        Case(
            name: "a stream of one-time reads does not flush a hot costly entry",
            budget: 4_000,
            steps: [.store("hot", bytes: 1_000, cost: 3_000), .hit("hot"), .hit("hot")]
                + (1...8).map { Step.store("once\($0)", bytes: 1_000, cost: 50 + Double($0)) },
            lru: ["once6", "once7", "once8", "once5"],
            gdsf: ["hot", "once6", "once7", "once8"]
        ),
    ]

    @Test(arguments: cases)
    func leastRecentlyUsed(_ testCase: Case) {
        #expect(Self.survivors(of: testCase, policy: LRUPolicy.self) == testCase.lru)
    }

    @Test(arguments: cases)
    func greedyDualSizeFrequency(_ testCase: Case) {
        #expect(Self.survivors(of: testCase, policy: GDSFPolicy.self) == testCase.gdsf)
    }

    /// Plays the steps against a policy the way a tier does: before an entry is stored, victims are evicted until it
    /// fits, and L rises to each victim's rank.
    static func survivors<Policy: EvictionPolicy>(of testCase: Case, policy: Policy.Type) -> Set<String> {
        var policy = Policy()
        var slots: [String: Int] = [:]
        var names: [Int: String] = [:]
        var sizes: [Int: Int] = [:]
        var used = 0
        var floor = 0.0
        var now = 0.0
        for step in testCase.steps {
            now += 1
            switch step {
            case .store(let name, let bytes, let cost):
                while used + bytes > testCase.budget, let (slot, rank) = policy.victim() {
                    policy.removed(slot)
                    used -= sizes[slot]!
                    slots[names[slot]!] = nil
                    names[slot] = nil
                    floor = max(floor, rank)
                }
                let slot = (0...).first { names[$0] == nil }!
                policy.inserted(slot, traits: EntryTraits(cost: cost), bytes: bytes, context: EvictionContext(now: now, floor: floor))
                slots[name] = slot
                names[slot] = name
                sizes[slot] = bytes
                used += bytes
            case .hit(let name):
                if let slot = slots[name] { policy.touched(slot, context: EvictionContext(now: now, floor: floor)) }
            }
        }
        return Set(slots.keys)
    }

    /// The same rule through the memory tier itself: an entry that cost 2 s to fetch stays where a page of the same
    /// size fetched in 20 ms goes, though the page was used last.
    @Test func theMemoryTierKeepsWhatCostMostPerByte() {
        let entries = ["/slow", "/fast", "/othr", "/newe"].map { makeEntry(key: "GET " + $0, target: $0, size: 1_000) }
        let store = MemoryStore<GDSFPolicy>(budget: entries[0...2].reduce(8) { $0 + $1.cost }, maxObject: 1 << 16)
        for (index, cost) in [2_000.0, 20, 30, 40].enumerated() {
            store.insert(entries[index], traits: EntryTraits(cost: cost), now: Double(index + 1))
        }
        #expect(isHit(store.lookup(key: "GET /slow", path: "/slow", now: 5, matching: { _ in true })))
        #expect(!isHit(store.lookup(key: "GET /fast", path: "/fast", now: 5, matching: { _ in true })))
        #expect(store.statistics.evictions == 1)
    }
}
