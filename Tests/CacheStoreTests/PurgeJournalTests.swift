import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import Testing


/// A fetch stores its response unless a purge that selects it was recorded since the fetch began.
@Suite struct PurgeJournalTests {
    static func entry(_ target: String = "/v1/voices", partition: String = "A", tags: [String] = []) -> CachedResponse {
        let freshness = Freshness(lifetime: 60, source: .maxAge, correctedInitialAge: 0, responseTime: 0)
        return CachedResponse(
            key: "GET " + target,
            target: target,
            partition: partition,
            vary: .empty,
            status: 200,
            headers: HTTPHeaders(),
            body: [],
            info: StoredResponseInfo(status: 200, responseHeaders: HTTPFieldList([]), freshness: freshness),
            tags: tags,
            evictAt: 100
        )
    }

    @Test func nothingPurgedSinceTheMark() {
        let journal = PurgeJournal()
        journal.record([.path("/v1/voices", partition: nil)])
        let mark = journal.current
        #expect(journal.unpurged(Self.entry(), since: mark))
    }

    @Test func aPurgeElsewhereDoesNotStopTheStore() {
        let journal = PurgeJournal()
        let mark = journal.current
        journal.record([.path("/v1/models", partition: nil), .tag("models", partition: nil), .path("/v1/voices", partition: "B")])
        #expect(journal.unpurged(Self.entry(), since: mark))
    }

    @Test func aPurgeThatSelectsTheResponseStopsIt() {
        let journal = PurgeJournal()
        let mark = journal.current
        journal.record([.path("/v1/models", partition: nil)])
        journal.record([.prefix("/v1/", partition: "A")])
        journal.record([.path("/v1/other", partition: nil)])
        #expect(!journal.unpurged(Self.entry(), since: mark))
        // A fetch that began after that purge is not affected by it.
        #expect(journal.unpurged(Self.entry(), since: mark + 2))
    }

    @Test func purgingEverythingStopsEveryFetchInFlight() {
        let journal = PurgeJournal()
        let mark = journal.current
        journal.record([nil])
        #expect(!journal.unpurged(Self.entry("/anything"), since: mark))
    }

    /// When purges the fetch missed have left the journal, it cannot prove that none selects it.
    @Test func aFetchOlderThanTheJournalIsRefused() {
        let journal = PurgeJournal(capacity: 2)
        let mark = journal.current
        for path in ["/a", "/b", "/c"] { journal.record([.path(path, partition: nil)]) }
        #expect(!journal.unpurged(Self.entry(), since: mark))
        #expect(journal.unpurged(Self.entry(), since: mark + 1))
    }
}
