import CacheStore
import NIOCore
@testable import ProxyCore
@testable import RedisCache
import Testing

/// A purge and an L2 lookup that interleave (found by bench/soak.sh as stale reads after a write): the purge applies
/// to L1 first, then deletes in Redis over several round trips (INCR, SMEMBERS, DEL). A lookup whose fetch mark is
/// taken after the L1 pass and whose GET runs before the DEL reads the pre-purge entry, and since no purge began after
/// its mark, it promotes that entry into L1. The fleet purge therefore purges L1 once more after Redis confirmed the
/// delete, before the writer's client gets its answer. Here the interleavings are driven step by step.
@Suite(.serialized) struct FleetPurgeRaceTests {
    @Test func anEntryPromotedFromL2BetweenTheL1PassAndTheRedisDeleteDoesNotOutliveThePurge() async throws {
        try await withFleet { fleet in
            let key = FleetTests.key
            _ = try await fleet.a.get("/api/v1/tts/voices", headers: key)
            try await fleet.until("A wrote the entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }
            let proxy = fleet.b.server.proxy
            let purges = [Purge(.tag("voices"))]

            // 1. The purge's L1 pass on B (its L1 has nothing yet).
            proxy.purge(purges, scope: .local)
            // 2. A read through B before the purge reached Redis: an L1 miss, an L2 hit, promoted to B's L1.
            let raced = try await fleet.b.get("/api/v1/tts/voices", headers: key)
            #expect(raced.isHit && raced.cacheStatus.contains("detail=l2"), "\(raced.cacheStatus)")
            // 3. The purge reaches Redis (and A); the writer's client would get its answer now.
            for pending in proxy.purge(purges, scope: .shared).pending { _ = try await pending.report.get() }

            // 4. A read after the write's answer: not the entry the purge was meant to drop.
            let after = try await fleet.b.get("/api/v1/tts/voices", headers: key)
            #expect(!after.isHit, "\(after.cacheStatus)")
            #expect(fleet.upstream.requestCount("GET", "/api/v1/tts/voices") == 2)
        }
    }

    /// A purge made while Redis was unreachable waits for the reconnect to be replayed, and L2 still holds what it
    /// selects: until the replay has run, L2 is not read, or a read after the write would copy the pre-write entry back.
    @Test func whilePurgesWaitForReplayL2IsNotRead() async throws {
        try await withFleet { fleet in
            let key = FleetTests.key
            _ = try await fleet.a.get("/api/v1/tts/voices", headers: key)
            try await fleet.until("A wrote the entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }
            let proxy = fleet.b.server.proxy
            let redis = try #require(fleet.b.server.fleet)
            let purges = [Purge(.tag("voices"))]

            // The write's purge on B: L1 at once; Redis was unreachable, so it is kept for the replay.
            proxy.purge(purges, scope: .local)
            redis.keepForReplay(purges)
            #expect(redis.isReplayPending, "pending replay \(redis.status.pendingReplay)")
            let during = try await fleet.b.get("/api/v1/tts/voices", headers: key)
            #expect(!during.isHit, "\(during.cacheStatus)")

            // The replay deletes it in Redis; L2 is read again.
            redis.replayPending()
            try await fleet.until("B replayed its purge") { !redis.isReplayPending }
            _ = try await fleet.a.get("/test/cache?book=7", headers: key)
            try await fleet.until("A wrote the new entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 2 }
            #expect(try await fleet.b.get("/test/cache?book=7", headers: key).cacheStatus.contains("detail=l2"))
        }
    }
}
