import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import Testing

/// Builds a stored response of `size` body bytes.
func makeEntry(
    key: String,
    target: String? = nil,
    partition: String = "-",
    size: Int = 100,
    tags: [String] = [],
    evictAt: Double = 1_000,
    vary: VaryKey = .empty,
    headers: [(String, String)] = []
) -> CachedResponse {
    let target = target ?? key
    let freshness = Freshness(lifetime: 60, source: .maxAge, correctedInitialAge: 0, responseTime: 0)
    let fields = HTTPHeaders([("content-length", String(size))] + headers)
    return CachedResponse(
        key: key,
        target: target,
        partition: partition,
        vary: vary,
        status: 200,
        headers: fields,
        body: [ByteBuffer(repeating: 7, count: size)],
        info: StoredResponseInfo(status: 200, responseHeaders: HTTPFieldList([("cache-control", "max-age=60")]), freshness: freshness),
        tags: tags,
        evictAt: evictAt
    )
}

func isHit(_ lookup: StoreLookup) -> Bool {
    if case .hit = lookup { return true }
    return false
}

@Suite struct MemoryStoreTests {
    @Test func hitSharesTheStoredBuffers() {
        let store = MemoryStore<LRUPolicy>(budget: 1 << 20, maxObject: 1 << 16)
        let entry = makeEntry(key: "/a")
        store.insert(entry, now: 0)
        guard case .hit(let found) = store.lookup(key: "/a", path: "/a", now: 1, matching: { _ in true }) else {
            Issue.record("expected a hit")
            return
        }
        #expect(found === entry)
    }

    /// A key given as bytes finds what its string finds, and only that (the fresh-hit path looks up by bytes).
    @Test func aKeyAsBytesFindsTheSameEntry() {
        let store = MemoryStore<LRUPolicy>(budget: 1 << 20, maxObject: 1 << 16)
        store.insert(makeEntry(key: "GET /a - http://h", target: "/a"), now: 0)
        func lookup(_ key: String) -> StoreLookup {
            Array(key.utf8).withUnsafeBytes { store.lookup(keyBytes: $0, path: "/a", now: 1, matching: { _ in true }) }
        }
        #expect(isHit(lookup("GET /a - http://h")))
        #expect(!isHit(lookup("GET /a - http://h ")))
        #expect(!isHit(lookup("GET /a - http://H")))
        #expect(!isHit(lookup("")))
    }

    @Test func budgetIsNeverExceeded() {
        let budget = 64 * 1024
        let store = MemoryStore<LRUPolicy>(budget: budget, maxObject: 16 * 1024)
        for index in 0..<500 {
            store.insert(makeEntry(key: "/k\(index)", size: 1000 + (index * 37) % 5000), now: 0)
            #expect(store.statistics.bytes <= budget)
        }
        #expect(store.statistics.evictions > 0)
    }

    @Test func leastRecentlyUsedIsEvictedFirst() {
        let cost = makeEntry(key: "/x", size: 200).cost
        let fits = 3000 / cost
        let store = MemoryStore<LRUPolicy>(budget: fits * cost, maxObject: 1000, shards: 1)
        #expect(fits >= 3)
        for index in 0..<fits { store.insert(makeEntry(key: "/e\(index)", size: 200), now: 0) }
        // Touch the oldest so that the second oldest becomes the victim.
        #expect(isHit(store.lookup(key: "/e0", path: "/e0", now: 1, matching: { _ in true })))
        store.insert(makeEntry(key: "/new", size: 200), now: 1)
        #expect(isHit(store.lookup(key: "/e0", path: "/e0", now: 1, matching: { _ in true })))
        #expect(!isHit(store.lookup(key: "/e1", path: "/e1", now: 1, matching: { _ in true })))
        #expect(isHit(store.lookup(key: "/new", path: "/new", now: 1, matching: { _ in true })))
    }

    @Test func entriesExpireAtTheirEvictionTimeByTheGivenClock() {
        let store = MemoryStore<LRUPolicy>(budget: 1 << 20, maxObject: 1 << 16)
        store.insert(makeEntry(key: "/t", evictAt: 100), now: 0)
        #expect(isHit(store.lookup(key: "/t", path: "/t", now: 99.9, matching: { _ in true })))
        #expect(!isHit(store.lookup(key: "/t", path: "/t", now: 100, matching: { _ in true })))
        #expect(store.statistics.entries == 0)
    }

    @Test func sweepFreesExpiredEntries() {
        let store = MemoryStore<LRUPolicy>(budget: 1 << 20, maxObject: 1 << 16)
        store.insert(makeEntry(key: "/a", evictAt: 10), now: 0)
        store.insert(makeEntry(key: "/b", evictAt: 20), now: 0)
        #expect(store.sweep(now: 15) == 1)
        #expect(store.statistics.entries == 1)
    }

    @Test func objectsOverMaxObjectAreRefused() {
        let store = MemoryStore<LRUPolicy>(budget: 1 << 20, maxObject: 1000)
        #expect(store.insert(makeEntry(key: "/big", size: 1001), now: 0) == .tooLarge)
        #expect(store.statistics.entries == 0)
    }

    @Test func aNewResponseReplacesTheSameVariant() {
        let store = MemoryStore<LRUPolicy>(budget: 1 << 20, maxObject: 1 << 16)
        store.insert(makeEntry(key: "/r", size: 10), now: 0)
        store.insert(makeEntry(key: "/r", size: 20), now: 0)
        #expect(store.statistics.entries == 1)
        guard case .hit(let found) = store.lookup(key: "/r", path: "/r", now: 0, matching: { _ in true }) else {
            Issue.record("expected a hit")
            return
        }
        #expect(found.bodyLength == 20)
    }

    /// Issue 15: the budget is one budget, whatever the keys look like. Every entry of one path lives in one shard
    /// (URL purges take one lock), yet that path may use all of it.
    @Test func onePathMayUseTheWholeBudget() {
        let cost = makeEntry(key: "GET /one?q=0", size: 1000).cost
        let store = MemoryStore<LRUPolicy>(budget: 200 * cost, maxObject: 1 << 16, shards: 16)
        for index in 0..<200 {
            store.insert(makeEntry(key: "GET /one?q=\(index)", target: "/one?q=\(index)", size: 1000), now: 0)
        }
        #expect(store.statistics.entries == 200)
        #expect(store.statistics.evictions == 0)
        store.insert(makeEntry(key: "GET /other", target: "/other", size: 1000), now: 1)
        #expect(store.statistics.entries == 200)
        #expect(store.statistics.evictions == 1)
        #expect(store.statistics.bytes <= store.budget)
    }

    /// The victim is the lowest-ranked across shards: the least recently used entry of the whole store.
    @Test func evictionOrderIsGlobalAcrossShards() {
        let cost = makeEntry(key: "GET /p0", size: 500).cost
        let store = MemoryStore<LRUPolicy>(budget: 4 * cost, maxObject: 1 << 16, shards: 16)
        for index in 0..<4 { store.insert(makeEntry(key: "GET /p\(index)", target: "/p\(index)", size: 500), now: Double(index)) }
        #expect(isHit(store.lookup(key: "GET /p0", path: "/p0", now: 10, matching: { _ in true })))
        store.insert(makeEntry(key: "GET /p9", target: "/p9", size: 500), now: 11)
        // /p1 was used least recently (at 1); /p0 was read at 10.
        #expect(!isHit(store.lookup(key: "GET /p1", path: "/p1", now: 12, matching: { _ in true })))
        #expect(isHit(store.lookup(key: "GET /p0", path: "/p0", now: 12, matching: { _ in true })))
    }

    @Test func theStoredFieldsAreWrittenOnceAndReadBack() {
        let entry = makeEntry(
            key: "GET /f - host",
            target: "/f",
            headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("reprise-cache-key", "00000000000000ab"),
                      ("CDN-Cache-Control", "max-age=5"), ("x-a", "1")]
        )
        #expect(entry.key == "GET /f - host")
        #expect(entry.target == "/f")
        #expect(entry.keyID == "00000000000000ab")
        #expect(entry.etag == "\"v1\"")
        #expect(entry.cacheControl == ["max-age=60"])
        #expect(String(buffer: entry.wireHeaders) == "content-length: 100\r\nETag: \"v1\"\r\nreprise-cache-key: 00000000000000ab\r\nx-a: 1\r\n")
        #expect(entry.headers.count == 6)
        #expect(entry.headers.first(name: "cdn-cache-control") == "max-age=5")
        #expect(entry.field("X-A") == "1")
        #expect(entry.singleBody?.readableBytes == 100)
        var dropped = ByteBuffer()
        entry.writeWireHeaders(dropping: ["etag", "x-a"], into: &dropped)
        #expect(String(buffer: dropped) == "content-length: 100\r\nreprise-cache-key: 00000000000000ab\r\n")
    }

    /// Names are told apart in any case, and a name of the same length as a special one stays an ordinary field.
    @Test func theSpecialFieldsAreFoundInAnyCase() {
        let entry = makeEntry(
            key: "GET /g - host",
            target: "/g",
            headers: [("CACHE-CONTROL", "max-age=1"), ("cache-Control", "no-transform"), ("Cache-Contro1", "x"),
                      ("ETAG", "\"e\""), ("LAST-modified", "Thu, 01 Jan 2026 00:00:00 GMT"),
                      ("Content-ENCODING", "GZip, identity"), ("Reprise-Cache-KEY", "00000000000000cd"),
                      ("cdn-CACHE-control", "max-age=9"), ("REPRISE-CACHE-CONTROL", "max-age=8"), ("xdn-cache-control", "k")]
        )
        #expect(entry.cacheControl == ["max-age=1", "no-transform"])
        #expect(entry.etag == "\"e\"")
        #expect(entry.info.lastModified == "Thu, 01 Jan 2026 00:00:00 GMT")
        #expect(entry.contentCoding == "gzip")
        #expect(entry.keyID == "00000000000000cd")
        let wire = String(buffer: entry.wireHeaders)
        #expect(wire.contains("Cache-Contro1: x\r\n") && wire.contains("xdn-cache-control: k\r\n"))
        #expect(!wire.contains("max-age=9") && !wire.contains("max-age=8"))
        #expect(entry.headers.first(name: "cdn-cache-control") == "max-age=9")
        #expect(entry.headers.first(name: "reprise-cache-control") == "max-age=8")
    }

    /// An entry is charged what it occupies: its one buffer is exactly key, fields and body (never rounded up to a
    /// power of two, as a buffer that had to grow or be copied would be), plus the fixed part.
    @Test(arguments: [0, 100, 1_000, 70_000, 300_000, 1 << 20])
    func anEntryIsChargedItsExactSize(_ size: Int) {
        let entry = makeEntry(key: "GET /exact - host", target: "/exact", size: size, headers: [("content-type", "audio/mpeg")])
        let encoded = "GET /exact - host".utf8.count + "content-length: \(size)\r\ncontent-type: audio/mpeg\r\n".utf8.count + size
        // The allocator's 16-byte rounding and 8-byte header on top of the bytes, and the fixed part.
        #expect(entry.cost <= CachedResponse.entryOverhead + encoded + 24, "charged \(entry.cost) for \(encoded) bytes")
        #expect(entry.cost >= CachedResponse.entryOverhead + encoded)
    }

    @Test func varyMissWhenNoVariantMatches() {
        let store = MemoryStore<LRUPolicy>(budget: 1 << 20, maxObject: 1 << 16)
        let english = VaryKey(varyFieldValues: ["accept-language"], requestHeaders: HTTPFieldList([("accept-language", "en")]))!
        store.insert(makeEntry(key: "/v", vary: english), now: 0)
        let french = HTTPFieldList([("accept-language", "fr")])
        let result = store.lookup(key: "/v", path: "/v", now: 0, matching: { $0.matches(french) })
        guard case .varyMiss = result else {
            Issue.record("expected a vary miss, got \(result)")
            return
        }
    }
}

@Suite struct PurgeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let selector: PurgeSelector
        let dropped: Set<String>
        var testDescription: String { self.name }
    }

    /// Entries: key → (target, partition, tags).
    static let entries: [(String, String, String, [String])] = [
        ("a1", "/api/voices", "p1", ["voices"]),
        ("a2", "/api/voices", "p2", ["voices"]),
        ("a3", "/api/voices?page=2", "p1", ["voices"]),
        ("b1", "/api/models", "p1", ["models"]),
        ("c1", "/api/voices/abc", "p1", []),
        ("d1", "/other", "p2", []),
    ]

    static let cases: [Case] = [
        Case(name: "target, all partitions", selector: .target("/api/voices", partition: nil), dropped: ["a1", "a2"]),
        Case(name: "target, one partition", selector: .target("/api/voices", partition: "p2"), dropped: ["a2"]),
        Case(name: "path ignores the query", selector: .path("/api/voices", partition: "p1"), dropped: ["a1", "a3"]),
        Case(name: "prefix", selector: .prefix("/api/voices", partition: nil), dropped: ["a1", "a2", "a3", "c1"]),
        Case(name: "tag, writer partition", selector: .tag("voices", partition: "p1"), dropped: ["a1", "a3"]),
        Case(name: "tag, all partitions", selector: .tag("voices", partition: nil), dropped: ["a1", "a2", "a3"]),
        Case(
            name: "path pattern",
            selector: .pathMatching({ $0.hasPrefix("/api/") && $0.split(separator: "/").count == 2 }, partition: nil),
            dropped: ["a1", "a2", "a3", "b1"]
        ),
        Case(name: "unknown tag", selector: .tag("nope", partition: nil), dropped: []),
    ]

    @Test(arguments: cases)
    func purgeDropsExactlyTheSelectedEntries(_ testCase: Case) {
        let store = MemoryStore<LRUPolicy>(budget: 1 << 20, maxObject: 1 << 16)
        for (key, target, partition, tags) in Self.entries {
            store.insert(makeEntry(key: key, target: target, partition: partition, tags: tags), now: 0)
        }
        let count = store.purge(testCase.selector)
        #expect(count == testCase.dropped.count)
        for (key, target, _, _) in Self.entries {
            let present = isHit(store.lookup(key: key, path: target.pathWithoutQuery, now: 0, matching: { _ in true }))
            #expect(present == !testCase.dropped.contains(key), "\(key)")
        }
    }
}

@Suite struct BodyCollectorTests {
    @Test func smallBodiesAreCompactedIntoTheEntrysBuffer() {
        var collector = BodyCollector(limit: 1000)
        collector.append(ByteBuffer(string: "hello "))
        collector.append(ByteBuffer(string: "world"))
        let entry = makeEntry(key: "/c", size: 0)
        let stored = CachedResponse(
            key: "/c",
            target: "/c",
            partition: "-",
            vary: .empty,
            status: 200,
            headers: HTTPHeaders(),
            body: collector.finish() ?? [],
            info: entry.info,
            tags: [],
            evictAt: 10
        )
        #expect(stored.singleBody.map { String(buffer: $0) } == "hello world")
        #expect(stored.body.count == 1)
    }

    @Test func bodiesOverTheLimitAreDropped() {
        var collector = BodyCollector(limit: 10)
        collector.append(ByteBuffer(string: "0123456789"))
        collector.append(ByteBuffer(string: "x"))
        #expect(!collector.isWithinLimit)
        #expect(collector.finish() == nil)
    }
}
