import CacheStore
import HTTPCaching
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RESP
import RedisClient
import RedisTestSupport
import Testing

@testable import RedisCache

/// L2 against a real redis-server: writes guarded by the purge sequence, and every purge selector.
@Suite(.serialized) struct L2StoreTests {
    static let now = 1_800_000_000.0

    static func entry(path: String, query: String = "", partition: String = "-", tags: [String] = [], bytes: Int = 16) -> CachedResponse {
        let headers = HTTPHeaders([("content-type", "text/plain")])
        let target = path + query
        let freshness = Freshness(lifetime: 60, source: .rule, correctedInitialAge: 0, responseTime: now)
        return CachedResponse(
            key: "GET " + target + " " + partition,
            target: target,
            partition: partition,
            vary: .empty,
            status: 200,
            headers: headers,
            body: [ByteBuffer(repeating: UInt8(ascii: "x"), count: bytes)],
            info: StoredResponseInfo(status: 200, responseHeaders: headers, freshness: freshness),
            tags: tags,
            evictAt: now + 120
        )
    }

    /// A started server and a connected L2 store on it.
    static func withStore(maxObject: Int = 1 << 20, _ body: (L2Store, RedisConnection) async throws -> Void) async throws {
        let server = try await RedisServerProcess()
        defer { server.kill() }
        let connection = RedisConnection(
            configuration: RedisConfiguration(port: server.port, connectTimeout: .seconds(5), commandTimeout: .seconds(5)),
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            logger: Logger(label: "l2-test")
        )
        try await connection.startAndWaitUntilConnected()
        let store = L2Store(redis: connection, keys: RedisKeys(prefix: "t:"), maxObject: maxObject)
        do {
            try await body(store, connection)
        } catch {
            try? await connection.close().get()
            throw error
        }
        try await connection.close().get()
    }

    @Test func writesReadsAndExpires() async throws {
        try await Self.withStore { store, redis in
            let entry = Self.entry(path: "/v1/voices")
            #expect(try await store.put(entry, sequence: 0, now: Self.now).get() == .stored)
            let read = try #require(try await store.get(key: entry.key).get())
            #expect(read.entry.body == entry.body && read.entry.target == entry.target)
            let ttl = try await redis.send("PTTL", "t:e:" + entry.key).get().int ?? -1
            #expect(ttl > 0 && ttl <= 120_000)
            #expect(try await store.get(key: "GET /absent -").get() == nil)
        }
    }

    @Test func aWriteWhoseFetchRacedAPurgeIsRefused() async throws {
        try await Self.withStore { store, _ in
            let purged = try await store.purge([Purge(.tag("voices"))], patternMatches: { _, _ in false }).get()
            #expect(purged.sequence == 1)
            // The fetch began when this instance knew sequence 0: a purge ran meanwhile.
            #expect(try await store.put(Self.entry(path: "/v1/voices"), sequence: 0, now: Self.now).get() == .purgedMeanwhile(current: 1))
            #expect(try await store.put(Self.entry(path: "/v1/voices"), sequence: 1, now: Self.now).get() == .stored)
        }
    }

    struct RaceCase: CustomTestStringConvertible, Sendable {
        var name: String
        /// Purges run (one call each) while a fetch of `/v1/voices` that began at sequence 0 was under way.
        var purges: [[Purge]]
        var stored: Bool
        var testDescription: String { self.name }
    }

    static let raceCases: [RaceCase] = [
        RaceCase(name: "another target's invalidation", purges: [[Purge(.target("/kling/v1/images/generations"))]], stored: true),
        RaceCase(
            name: "several, each of another path",
            purges: [[Purge(.target("/a?x=1"))], [Purge(.path("/b")), Purge(.target("/c"))], [Purge(.path("/v1/voices/abc"))]],
            stored: true
        ),
        RaceCase(name: "its own target", purges: [[Purge(.target("/v1/voices"))]], stored: false),
        RaceCase(name: "its path with another query (may select it: refused)", purges: [[Purge(.target("/v1/voices?page=2"))]], stored: false),
        RaceCase(name: "its path, in another partition (refused all the same)", purges: [[Purge(.path("/v1/voices"), partition: "p9")]], stored: false),
        RaceCase(name: "a prefix elsewhere (broad: refused)", purges: [[Purge(.prefix("/kling/"))]], stored: false),
        RaceCase(name: "a tag (broad: refused)", purges: [[Purge(.target("/a"))], [Purge(.tag("other"))]], stored: false),
        RaceCase(name: "a batch with one broad purge", purges: [[Purge(.target("/a")), Purge(.key("k1"))]], stored: false),
    ]

    /// The sequence moved during the fetch: the write lands only when the purge log proves that none of the purges
    /// since can select the entry.
    @Test(arguments: raceCases)
    func aWriteRacedByPurgesLandsOnlyWhenNoneCanSelectIt(_ race: RaceCase) async throws {
        try await Self.withStore { store, _ in
            for batch in race.purges {
                _ = try await store.purge(batch, patternMatches: { _, _ in false }).get()
            }
            let result = try await store.put(Self.entry(path: "/v1/voices"), sequence: 0, now: Self.now).get()
            #expect(result == (race.stored ? .stored : .purgedMeanwhile(current: race.purges.count)))
        }
    }

    /// The log lost records (trimmed past the fetch, or numbers taken by an instance that logs nothing): refused.
    @Test func aWriteTheLogCannotClearIsRefused() async throws {
        try await Self.withStore { store, redis in
            _ = try await store.purge([Purge(.target("/a"))], patternMatches: { _, _ in false }).get()
            _ = try await store.purge([Purge(.target("/b"))], patternMatches: { _, _ in false }).get()
            _ = try await redis.send("ZREMRANGEBYSCORE", "t:purges", "1", "1").get()
            #expect(try await store.put(Self.entry(path: "/v1/voices"), sequence: 0, now: Self.now).get() == .purgedMeanwhile(current: 2))
            #expect(try await store.put(Self.entry(path: "/v1/voices"), sequence: 1, now: Self.now).get() == .stored)
            _ = try await redis.send("INCR", "t:seq").get()
            #expect(try await store.put(Self.entry(path: "/v1/voices"), sequence: 2, now: Self.now).get() == .purgedMeanwhile(current: 3))
        }
    }

    @Test func theLogKeepsTheLastPurgesOnly() async throws {
        try await Self.withStore { store, redis in
            for index in 0..<(L2Store.purgeLogLength + 10) {
                _ = try await store.purge([Purge(.target("/p\(index)"))], patternMatches: { _, _ in false }).get()
            }
            #expect(try await redis.send("ZCARD", "t:purges").get().int == L2Store.purgeLogLength)
        }
    }

    @Test func largerThanMaxObjectStaysOutOfL2() async throws {
        try await Self.withStore(maxObject: 10) { store, _ in
            let result = try await store.put(Self.entry(path: "/big", bytes: 11), sequence: 0, now: Self.now).get()
            #expect(result == .tooLarge)
        }
    }

    struct PurgeCase: CustomTestStringConvertible, Sendable {
        var name: String
        var purge: Purge
        /// Paths+queries (partition "p1" unless written "p2:...") expected gone; the rest must remain.
        var dropped: Set<String>
        var testDescription: String { self.name }
    }

    /// Stored before each case: three paths, two partitions, two tags.
    static let fixture: [(target: String, partition: String, tags: [String])] = [
        ("/v1/voices", "p1", ["voices"]),
        ("/v1/voices", "p2", ["voices"]),
        ("/v1/voices/abc/settings", "p1", ["voices", "settings"]),
        ("/v1/models?x=1", "p1", []),
        ("/v1/models?x=2", "p1", []),
        ("/v1beta/models", "p1", []),
    ]

    static let purgeCases: [PurgeCase] = [
        PurgeCase(name: "tag, every partition", purge: Purge(.tag("voices")), dropped: ["p1:/v1/voices", "p2:/v1/voices", "p1:/v1/voices/abc/settings"]),
        PurgeCase(name: "tag, one partition", purge: Purge(.tag("voices"), partition: "p2"), dropped: ["p2:/v1/voices"]),
        PurgeCase(name: "target keeps other queries", purge: Purge(.target("/v1/models?x=1")), dropped: ["p1:/v1/models?x=1"]),
        PurgeCase(name: "path takes every query", purge: Purge(.path("/v1/models")), dropped: ["p1:/v1/models?x=1", "p1:/v1/models?x=2"]),
        PurgeCase(
            name: "prefix is a string prefix",
            purge: Purge(.prefix("/v1/")),
            dropped: ["p1:/v1/voices", "p2:/v1/voices", "p1:/v1/voices/abc/settings", "p1:/v1/models?x=1", "p1:/v1/models?x=2"]
        ),
        PurgeCase(name: "pattern", purge: Purge(.pattern("/v1/voices/*/settings")), dropped: ["p1:/v1/voices/abc/settings"]),
        PurgeCase(name: "all in one partition", purge: Purge(.all, partition: "p2"), dropped: ["p2:/v1/voices"]),
        PurgeCase(name: "a tag nothing has", purge: Purge(.tag("none")), dropped: []),
    ]

    @Test(arguments: Self.purgeCases)
    func purgeSelects(_ c: PurgeCase) async throws {
        try await Self.withStore { store, _ in
            var entries: [String: CachedResponse] = [:]
            for item in Self.fixture {
                let parts = item.target.split(separator: "?", maxSplits: 1)
                let entry = Self.entry(
                    path: String(parts[0]),
                    query: parts.count > 1 ? "?" + parts[1] : "",
                    partition: item.partition,
                    tags: item.tags
                )
                entries[item.partition + ":" + item.target] = entry
                #expect(try await store.put(entry, sequence: 0, now: Self.now).get() == .stored)
            }
            // A pattern's only wildcard here is one segment.
            let result = try await store.purge([c.purge], patternMatches: { pattern, path in
                pattern == "/v1/voices/*/settings" && path.hasPrefix("/v1/voices/") && path.hasSuffix("/settings")
                    && path.split(separator: "/").count == 4
            }).get()
            #expect(result.dropped == c.dropped.count)
            for (name, entry) in entries {
                let present = try await store.get(key: entry.key).get() != nil
                #expect(present == !c.dropped.contains(name), "\(name)")
            }
        }
    }
}

extension RedisConnection {
    /// Starts the connection and waits for its first connect.
    func startAndWaitUntilConnected() async throws {
        let connects = Mailbox<Int>()
        self.onConnect = { connects.post($0) }
        self.start()
        _ = try await connects.next("first connect")
    }
}
