import Admin
import AsyncHTTPClient
import DemoUpstream
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ProxyConfig
import ProxyCore
import RedisTestSupport
import Testing

/// Fleet mode end to end: a real `redis-server`, two real Reprise instances and one upstream, in one test.
@Suite(.serialized) struct FleetTests {
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "fleet-admin-token-0123456789"

        [redis]
        url = "redis://127.0.0.1:{REDIS}/0"
        command_timeout = "5s"
        purge_ack_timeout = "2s"

        \(PartitionAndInvalidationTests.appConfig)

        [[rule]]
        name = "books"
        match = "GET /test/**"
        ttl = "1h"
        tags = ["books"]
        """

    static let key = [("xi-api-key", "key-A")]
    static let token = "fleet-admin-token-0123456789"

    @Test func anEntryStoredThroughOneInstanceIsAnL2HitThroughTheOther() async throws {
        try await withFleet { fleet in
            let first = try await fleet.a.get("/api/v1/tts/voices", headers: Self.key)
            #expect(first.status == 200 && !first.isHit)
            try await fleet.until("A wrote the entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }

            // No key_secret in the config: the instances agreed on one through Redis, so B finds A's credentialed entry.
            let second = try await fleet.b.get("/api/v1/tts/voices", headers: Self.key)
            #expect(second.status == 200)
            #expect(second.cacheStatus.contains("hit") && second.cacheStatus.contains("detail=l2"))
            #expect(second.headers.first(name: "age") != nil)
            #expect(second.text == first.text)
            #expect(fleet.upstream.requestCount("GET", "/api/v1/tts/voices") == 1)

            // Promoted to B's L1: the next hit does not ask Redis.
            let third = try await fleet.b.get("/api/v1/tts/voices", headers: Self.key)
            #expect(third.isHit && !third.cacheStatus.contains("l2"))
            #expect(fleet.b.server.fleet?.status.counters.l2Hits == 1)

            // Another API key is another partition, in L2 as in L1.
            let other = try await fleet.b.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-B")])
            #expect(!other.isHit)
            #expect(fleet.upstream.requestCount("GET", "/api/v1/tts/voices") == 2)
        }
    }

    @Test func aCloneCreatedThroughOneInstanceIsSeenThroughTheOther() async throws {
        try await withFleet { fleet in
            _ = try await fleet.a.get("/api/v1/tts/voices", headers: Self.key)
            try await fleet.until("A wrote the entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }
            #expect(try await fleet.b.get("/api/v1/tts/voices", headers: Self.key).isHit)
            #expect(try await fleet.b.get("/api/v1/tts/voices", headers: Self.key).isHit)

            let created = try await fleet.a.request(
                .POST, "/api/v1/tts/clone/create",
                headers: Self.key + [("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Grandma"}"#)
            )
            #expect(created.status == 200)
            // B dropped its copy before A's client saw the response (B acknowledged the purge).
            let after = try await fleet.b.get("/api/v1/tts/voices", headers: Self.key)
            #expect(!after.isHit)
            #expect(after.text.contains("Grandma"))
            #expect(fleet.b.server.fleet?.status.counters.purgesReceived == 1)
            let stats = try await fleet.a.admin(.GET, "/stats", token: Self.token).text
            #expect(stats.contains(#""purge_fanout_ms":{"p50":"#) && stats.contains(#""samples":1}"#))
        }
    }

    @Test func adminTagAndPrefixPurgesReachBothInstancesAndL2() async throws {
        try await withFleet { fleet in
            for path in ["/api/v1/tts/voices", "/test/cache?book=1", "/test/cache?book=2"] {
                _ = try await fleet.a.get(path, headers: Self.key)
            }
            try await fleet.until("A wrote three entries to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 3 }
            for path in ["/api/v1/tts/voices", "/test/cache?book=1", "/test/cache?book=2"] {
                #expect(try await fleet.b.get(path, headers: Self.key).isHit)
            }

            let byTag = try await fleet.b.admin(.POST, "/purge", token: Self.token, body: #"{"tags":["voices"]}"#)
            #expect(byTag.status == 200)
            #expect(byTag.text.contains("\"purged\":1") && byTag.text.contains("\"purged_l2\":1"))
            #expect(byTag.text.contains("\"acknowledged\":1"))
            #expect(!(try await fleet.a.get("/api/v1/tts/voices", headers: Self.key)).isHit)

            let byPrefix = try await fleet.a.admin(.POST, "/purge", token: Self.token, body: #"{"prefixes":["/test/"]}"#)
            #expect(byPrefix.text.contains("\"purged_l2\":2"))
            for path in ["/test/cache?book=1", "/test/cache?book=2"] {
                #expect(!(try await fleet.b.get(path, headers: Self.key)).isHit)
            }
        }
    }

    @Test func redisKilledMidRunCausesNoClientErrorAndL1KeepsServing() async throws {
        try await withFleet { fleet in
            _ = try await fleet.a.get("/api/v1/tts/voices", headers: Self.key)
            #expect(try await fleet.a.get("/api/v1/tts/voices", headers: Self.key).isHit)
            fleet.redis.kill()

            #expect(try await fleet.a.get("/api/v1/tts/voices", headers: Self.key).isHit)
            let miss = try await fleet.b.get("/test/cache?book=9", headers: Self.key)
            #expect(miss.status == 200)
            let write = try await fleet.a.request(
                .POST, "/api/v1/tts/clone/create",
                headers: Self.key + [("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Outage"}"#)
            )
            #expect(write.status == 200)
            #expect(try await fleet.a.get("/api/v1/tts/voices", headers: Self.key).text.contains("Outage"))
            try await fleet.until("A noticed Redis is gone") { fleet.a.server.fleet?.isHealthy == false }
            let ready = try await fleet.a.admin(.GET, "/readyz", token: Self.token)
            #expect(ready.status == 200 && ready.text.contains("degraded"))
            let stats = try await fleet.a.admin(.GET, "/stats", token: Self.token)
            #expect(stats.text.contains("\"state\":\"degraded\""))
        }
    }

    @Test func afterRedisReturnsNothingPurgedDuringTheOutageIsServedAndL2WorksAgain() async throws {
        try await withFleet { fleet in
            _ = try await fleet.a.get("/api/v1/tts/voices", headers: Self.key)
            try await fleet.until("A wrote the entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }
            #expect(try await fleet.b.get("/api/v1/tts/voices", headers: Self.key).isHit)

            fleet.redis.kill()
            try await fleet.until("both instances noticed") {
                fleet.a.server.fleet?.isHealthy == false && fleet.b.server.fleet?.isHealthy == false
            }
            let write = try await fleet.a.request(
                .POST, "/api/v1/tts/clone/create",
                headers: Self.key + [("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"WhileAway"}"#)
            )
            #expect(write.status == 200)
            #expect((fleet.a.server.fleet?.status.pendingReplay ?? 0) > 0)

            try await fleet.redis.start()
            try await fleet.until("both reconnected and A replayed its purge") {
                guard let a = fleet.a.server.fleet, let b = fleet.b.server.fleet else { return false }
                return a.isHealthy && b.isHealthy && a.status.pendingReplay == 0 && a.status.counters.purgesPublished >= 1
                    && b.status.sequence != nil && b.status.sequence == a.status.sequence
            }
            let after = try await fleet.b.get("/api/v1/tts/voices", headers: Self.key)
            #expect(after.text.contains("WhileAway"))

            // L2 is in use again.
            let writes = fleet.a.server.fleet?.status.counters.l2Writes ?? 0
            _ = try await fleet.a.get("/test/cache?book=after", headers: Self.key)
            try await fleet.until("A wrote to L2 again") { (fleet.a.server.fleet?.status.counters.l2Writes ?? 0) > writes }
            let l2 = try await fleet.b.get("/test/cache?book=after", headers: Self.key)
            #expect(l2.cacheStatus.contains("detail=l2"))
        }
    }

    @Test func aReadThatRacedAWriteNeverStoresThePreWriteAnswer() async throws {
        try await withFleet { fleet in
            // A slow read of the voice list is in flight on B while A's write completes and purges.
            let slow = Task {
                try await fleet.b.get("/api/v1/tts/voices?delay_ms=400", headers: Self.key)
            }
            try await fleet.until("the slow read reached the upstream") {
                fleet.upstream.requestCount("GET", "/api/v1/tts/voices") == 1
            }
            _ = try await fleet.a.request(
                .POST, "/api/v1/tts/clone/create",
                headers: Self.key + [("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Racer"}"#)
            )
            let raced = try await slow.value
            #expect(raced.status == 200)
            // Neither B's L1 nor L2 kept the pre-write list.
            let next = try await fleet.b.get("/api/v1/tts/voices?delay_ms=400", headers: Self.key)
            #expect(!next.isHit)
            #expect(next.text.contains("Racer"))
        }
    }
}

/// One redis-server, one upstream and two proxies configured alike (`FleetTests.config`).
struct Fleet {
    let redis: RedisServerProcess
    let upstream: DemoUpstream
    let a: Harness
    let b: Harness

    /// Waits for a condition that the system reaches asynchronously (a fire-and-forget L2 write, a reconnect); the
    /// deadline only fails the test, it is never what the assertion measures.
    func until(_ what: String, timeout: Duration = .seconds(15), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw HarnessError("timed out waiting: \(what)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

func withFleet(_ config: String = FleetTests.config, _ body: (Fleet) async throws -> Void) async throws {
    let redis = try await RedisServerProcess()
    let upstream = DemoUpstream(options: .init())
    let upstreamPort = try await upstream.start()
    let text = config.replacingOccurrences(of: "{REDIS}", with: String(redis.port))
        .replacingOccurrences(of: "{UPSTREAM}", with: "http://127.0.0.1:\(upstreamPort)")
    let configuration = try ConfigLoader.parse(text, file: "fleet.conf", environment: [:])
    var logger = Logger(label: "reprise-fleet-test")
    logger.logLevel = .critical
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let serverA = try ProxyServer(configuration: configuration, logger: logger, threads: 1)
    try await serverA.start(admin: AdminAPI.mount)
    let serverB = try ProxyServer(configuration: configuration, logger: logger, threads: 1)
    try await serverB.start(admin: AdminAPI.mount)
    let fleet = Fleet(
        redis: redis,
        upstream: upstream,
        // One name for both, as behind a load balancer: the host is part of the cache key.
        a: Harness(upstream: upstream, server: serverA, client: client, host: "books.example"),
        b: Harness(upstream: upstream, server: serverB, client: client, host: "books.example")
    )
    func stop() async {
        try? await client.shutdown()
        try? await serverA.shutdown()
        try? await serverB.shutdown()
        try? await upstream.shutdown()
        redis.kill()
    }
    do {
        try await fleet.until("both instances joined the fleet") {
            serverA.fleet?.isHealthy == true && serverB.fleet?.isHealthy == true
        }
        try await body(fleet)
    } catch {
        await stop()
        throw error
    }
    await stop()
}

extension FleetTests {
    @Test func metricsShowRedisStateAndBothTiers() async throws {
        try await withFleet { fleet in
            _ = try await fleet.a.get("/api/v1/tts/voices", headers: Self.key)
            try await fleet.until("A wrote the entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }
            _ = try await fleet.b.get("/api/v1/tts/voices", headers: Self.key)
            let text = try await fleet.b.admin(.GET, "/metrics", token: Self.token).text
            #expect(text.contains("reprise_redis_up 1"))
            #expect(text.contains("reprise_redis_subscribed 1"))
            #expect(text.contains(#"reprise_l2_lookups_total{result="hit"} 1"#))
            #expect(text.contains(#"reprise_cache_entries{tier="l1"} 1.0"#))
            // L2 holds the entry and its index keys (paths, path set, tag set, sequence, secret).
            let l2Keys = text.split(separator: "\n").first { $0.hasPrefix(#"reprise_cache_entries{tier="l2"}"#) }
            #expect((l2Keys?.split(separator: " ").last.flatMap { Double($0) } ?? 0) >= 1)
            #expect(text.contains(#"reprise_cache_bytes{tier="l2"}"#))
            let stats = try await fleet.b.admin(.GET, "/stats", token: Self.token).text
            #expect(stats.contains(#""redis":{"state":"ok""#) && stats.contains(#""l2_hits":1"#))
        }
    }

    @Test func withoutRedisSectionNothingNeedsRedis() async throws {
        try await withHarness("") { h in
            #expect(h.server.fleet == nil)
            _ = try await h.get("/test/cache?cc=max-age%3D60")
            #expect(try await h.get("/test/cache?cc=max-age%3D60").isHit)
        }
    }
}

extension FleetTests {
    @Test func anL2EntryTooLargeForL1IsServedFromL2() async throws {
        let small = Self.config.replacingOccurrences(of: "[redis]", with: "[cache]\nmemory = \"4KiB\"\nmax_object = \"1KiB\"\n\n[redis]")
        try await withFleet(small) { fleet in
            let path = "/test/cache?cc=max-age%3D60&size=8192"
            let first = try await fleet.a.get(path)
            #expect(first.status == 200 && first.body.readableBytes == 8192)
            try await fleet.until("A wrote the entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }
            for _ in 0..<2 {
                let hit = try await fleet.b.get(path)
                #expect(hit.cacheStatus.contains("hit") && hit.cacheStatus.contains("detail=l2"))
                #expect(hit.body == first.body)
            }
            #expect(fleet.upstream.requestCount("GET", "/test/cache") == 1)
            #expect(fleet.b.server.store.statistics.entries == 0)
        }
    }
}

extension FleetTests {
    static let generationConfig = """
        [server]
        listen = "127.0.0.1:0"

        [redis]
        url = "redis://127.0.0.1:{REDIS}/0"
        command_timeout = "5s"
        max_object = "8MiB"

        [[upstream]]
        name = "elevenlabs"
        prefix = "/elevenlabs"
        url = "{UPSTREAM}"
        key_headers = ["xi-api-key"]

        [[rule]]
        name = "voices"
        match = "GET /elevenlabs/v1/voices"
        ttl = "1h"

        [[rule]]
        name = "tts"
        match = "POST /elevenlabs/v1/text-to-speech/*"
        cache_body = true
        ttl = "30d"
        cost_header = "character-cost"
        hit_drop_headers = ["character-cost", "request-id"]
        """

    @Test func aGenerationPaidForThroughOneInstanceIsReplayedByTheOther() async throws {
        try await withFleet(Self.generationConfig) { fleet in
            let path = "/elevenlabs/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM"
            func tts(_ h: Harness, _ body: String, key: String = "key-A") async throws -> Reply {
                try await h.request(
                    .POST, path,
                    headers: [("xi-api-key", key), ("content-type", "application/json")],
                    body: ByteBuffer(string: body)
                )
            }
            let first = try await tts(fleet.a, #"{"text":"Once upon a time","model_id":"eleven_multilingual_v2"}"#)
            #expect(first.status == 200 && !first.isHit && first.body.readableBytes > 1000)
            try await fleet.until("A wrote the audio to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }

            // The same request written differently (canonical JSON), through the other instance.
            let replay = try await tts(fleet.b, #"{ "model_id": "eleven_multilingual_v2", "text": "Once upon a time" }"#)
            #expect(replay.cacheStatus.contains("hit") && replay.cacheStatus.contains("detail=l2"))
            #expect(replay.body == first.body)
            #expect(replay.headers.first(name: "character-cost") == nil)
            #expect(fleet.upstream.requestCount("POST", "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM") == 1)

            // Another account never gets it.
            let other = try await tts(fleet.b, #"{"text":"Once upon a time","model_id":"eleven_multilingual_v2"}"#, key: "key-B")
            #expect(!other.isHit)
            #expect(fleet.upstream.requestCount("POST", "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM") == 2)
        }
    }

    @Test func headIsAnsweredFromAnL2GetEntry() async throws {
        try await withFleet(Self.generationConfig) { fleet in
            let key = [("xi-api-key", "key-A")]
            let get = try await fleet.a.get("/elevenlabs/v1/voices", headers: key)
            try await fleet.until("A wrote the entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }
            let head = try await fleet.b.request(.HEAD, "/elevenlabs/v1/voices", headers: key)
            #expect(head.status == 200 && head.body.readableBytes == 0)
            #expect(head.cacheStatus.contains("detail=l2"))
            #expect(head.headers.first(name: "content-length") == String(get.body.readableBytes))
            #expect(fleet.upstream.requestCount("GET", "/v1/voices") == 1)
        }
    }
}

extension FleetTests {
    /// Hit-for-pass no longer keeps a request from L2 (another instance may have stored the key since:
    /// `FleetHitForPassTests`); it still answers the request, without waiting on another fetch.
    @Test func aKeyMarkedHitForPassStillAsksRedis() async throws {
        try await withFleet { fleet in
            let path = "/test/cache?cc=no-store&size=64"
            _ = try await fleet.a.get(path)
            let lookups = fleet.a.server.fleet?.status.counters.l2Misses ?? 0
            let second = try await fleet.a.get(path)
            #expect(second.status == 200 && second.cacheStatus.contains("detail=no-store"))
            #expect(fleet.a.server.fleet?.status.counters.l2Misses == lookups + 1)
            #expect(fleet.upstream.requestCount("GET", "/test/cache") == 2)
        }
    }
}
