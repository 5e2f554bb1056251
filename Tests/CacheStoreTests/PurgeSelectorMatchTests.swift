import CacheStore
import Testing

/// `PurgeSelector.matches` answers for one response what `MemoryStore.purge` does to the store: each named case
/// is checked both ways.
@Suite struct PurgeSelectorMatchTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var selector: PurgeSelector
        var matches: Bool
        var testDescription: String { self.name }
    }

    /// Every case is applied to this entry: `/v1/voices?page=2`, partition "A", tagged "voices".
    static func entry() -> CachedResponse {
        makeEntry(key: "k", target: "/v1/voices?page=2", partition: "A", tags: ["voices"])
    }

    static let cases: [Case] = [
        Case(name: "same target", selector: .target("/v1/voices?page=2", partition: nil), matches: true),
        Case(name: "same path, other query", selector: .target("/v1/voices?page=3", partition: nil), matches: false),
        Case(name: "path, any query", selector: .path("/v1/voices", partition: nil), matches: true),
        Case(name: "other path", selector: .path("/v1/models", partition: nil), matches: false),
        Case(name: "prefix", selector: .prefix("/v1/", partition: nil), matches: true),
        Case(name: "prefix of another path", selector: .prefix("/v2/", partition: nil), matches: false),
        Case(name: "pattern", selector: .pathMatching({ $0.hasSuffix("/voices") }, partition: nil), matches: true),
        Case(name: "pattern that fails", selector: .pathMatching({ $0.hasSuffix("/x") }, partition: nil), matches: false),
        Case(name: "tag", selector: .tag("voices", partition: nil), matches: true),
        Case(name: "other tag", selector: .tag("models", partition: nil), matches: false),
        Case(name: "same partition", selector: .path("/v1/voices", partition: "A"), matches: true),
        Case(name: "other partition", selector: .path("/v1/voices", partition: "B"), matches: false),
        Case(name: "tag in another partition", selector: .tag("voices", partition: "B"), matches: false),
    ]

    @Test(arguments: Self.cases)
    func matchesWhatThePurgeDrops(_ testCase: Case) {
        #expect(testCase.selector.matches(Self.entry()) == testCase.matches)
        let store = MemoryStore<LRUPolicy>(budget: 1 << 20, maxObject: 1 << 16)
        store.insert(Self.entry(), now: 0)
        #expect(store.purge(testCase.selector) == (testCase.matches ? 1 : 0))
    }
}
