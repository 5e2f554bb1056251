import AsyncHTTPClient
import DemoUpstream
import NIOCore
import NIOHTTP1
import Testing

/// End to end through the real listener against the demo upstream: what is stored, what is reused.
@Suite struct CachingFlowTests {
    @Test func aSecondReadIsAHitAndTheUpstreamSawOneRequest() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))"
            let first = try await h.get(path)
            #expect(first.status == 200)
            #expect(first.cacheStatus.contains("fwd=uri-miss"))
            #expect(first.cacheStatus.contains("stored"))
            let second = try await h.get(path)
            #expect(second.isHit)
            #expect(second.headers.first(name: "age") != nil)
            #expect(second.text == first.text)
            #expect(h.upstream.requestCount("GET", "/test/cache") == 1)
        }
    }

    @Test func headIsAnsweredFromAStoredGet() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))&size=500"
            _ = try await h.get(path)
            let head = try await h.request(.HEAD, path)
            #expect(head.isHit)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers.first(name: "content-length") == "500")
            #expect(h.upstream.requestCount("GET", "/test/cache") == 1)
            #expect(h.upstream.requestCount("HEAD", "/test/cache") == 0)
        }
    }

    @Test func theEntryIsRefreshedWhenItsTTLHasPassed() async throws {
        let clock = ManualClock()
        let config = """
            [[rule]]
            name = "echo"
            match = "GET /test/echo"
            ttl = "30s"
            """
        try await withHarness(config, clock: clock.wallClock) { h in
            _ = try await h.get("/test/echo")
            clock.advance(by: 29)
            let fresh = try await h.get("/test/echo")
            #expect(fresh.isHit)
            #expect(fresh.headers.first(name: "age") == "29")
            clock.advance(by: 2)
            let expired = try await h.get("/test/echo")
            #expect(!expired.isHit)
            #expect(h.upstream.requestCount("GET", "/test/echo") == 2)
        }
    }

    @Test func varySelectsTheVariantByTheRequestHeader() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))&vary=Accept-Language"
            let english = try await h.get(path, headers: [("accept-language", "en")])
            #expect(!english.isHit)
            #expect(try await h.get(path, headers: [("accept-language", "en")]).isHit)
            let french = try await h.get(path, headers: [("accept-language", "fr")])
            #expect(french.cacheStatus.contains("fwd=vary-miss"))
            #expect(try await h.get(path, headers: [("accept-language", "fr")]).isHit)
            #expect(h.upstream.requestCount("GET", "/test/cache") == 2)
        }
    }

    @Test func varyStarIsNeverReused() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))&vary=*"
            _ = try await h.get(path)
            let second = try await h.get(path)
            #expect(!second.isHit)
            #expect(second.cacheStatus.contains("detail=vary-star"))
        }
    }

    @Test func aResponseWithoutFreshnessOrValidatorIsNotStoredWithoutARule() async throws {
        try await withHarness { h in
            let first = try await h.get("/test/echo")
            #expect(first.cacheStatus.contains("detail=no-freshness"))
            #expect(!(try await h.get("/test/echo")).isHit)
        }
    }

    @Test(arguments: [401, 403, 429, 500, 503])
    func errorsAreNeverStoredUnlessARuleListsThem(status: Int) async throws {
        let config = """
            [[rule]]
            name = "all"
            match = "GET /test/cache"
            ttl = "60s"
            """
        try await withHarness(config) { h in
            // The upstream sends no freshness: the rule's ttl never makes an error storable.
            let path = "/test/cache?status=\(status)"
            let first = try await h.get(path)
            #expect(first.status == status)
            #expect(!first.cacheStatus.contains("stored"))
            #expect(first.cacheStatus.contains("detail=error-status"))
            #expect(!(try await h.get(path)).isHit)
        }
    }

    @Test func anErrorWithTheUpstreamsOwnFreshnessIsStoredPerRFC9111() async throws {
        try await withHarness { h in
            let path = "/test/cache?status=503&cc=\(q("max-age=60"))"
            _ = try await h.get(path)
            let second = try await h.get(path)
            #expect(second.status == 503)
            #expect(second.isHit)
        }
    }

    @Test func aRuleCanListAnErrorStatusToStoreIt() async throws {
        let config = """
            [[rule]]
            name = "busy"
            match = "GET /test/cache"
            ttl = "60s"
            cache_status_codes = [200, 503]
            """
        try await withHarness(config) { h in
            let path = "/test/cache?status=503"
            _ = try await h.get(path)
            #expect(try await h.get(path).isHit)
        }
    }

    @Test func requestNoStoreBypassesTheCache() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))"
            let bypass = try await h.get(path, headers: [("cache-control", "no-store")])
            #expect(bypass.cacheStatus.contains("fwd=bypass"))
            #expect(!(try await h.get(path)).isHit)
        }
    }

    @Test func requestNoCacheFetchesAgainAndReplacesTheEntryWhenRefreshesAreShared() async throws {
        try await withHarness("[server]\nlisten = \"127.0.0.1:0\"\n[cache]\nclient_refresh = \"shared\"\n") { h in
            let path = "/test/cache?cc=\(q("max-age=60"))"
            _ = try await h.get(path)
            let forced = try await h.get(path, headers: [("cache-control", "no-cache")])
            #expect(forced.cacheStatus.contains("fwd=request"))
            let after = try await h.get(path)
            #expect(after.isHit)
            #expect(after.headers.first(name: "x-request-number") == "2")
        }
    }

    @Test func requestNoCacheOfASharedEntryIsAnsweredButDoesNotReplaceIt() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))"
            _ = try await h.get(path)
            let forced = try await h.get(path, headers: [("cache-control", "no-cache")])
            #expect(forced.cacheStatus.contains("fwd=request"))
            #expect(forced.headers.first(name: "x-request-number") == "2")
            let after = try await h.get(path)
            #expect(after.isHit)
            #expect(after.headers.first(name: "x-request-number") == "1")
        }
    }

    @Test func ruleSetsTheClientCacheControlOnHitsAndMisses() async throws {
        let config = """
            [[rule]]
            name = "echo"
            match = "GET /test/echo"
            ttl = "1h"
            client_cache_control = "private, max-age=60"
            """
        try await withHarness(config) { h in
            let miss = try await h.get("/test/echo")
            #expect(miss.headers.first(name: "cache-control") == "private, max-age=60")
            let hit = try await h.get("/test/echo")
            #expect(hit.isHit)
            #expect(hit.headers.first(name: "cache-control") == "private, max-age=60")
            #expect(hit.cacheStatus.contains("ttl="))
        }
    }

    @Test func ttlOverrideIgnoresTheUpstreamsHeaders() async throws {
        let config = """
            [[rule]]
            name = "forced"
            match = "GET /test/cache"
            ttl = "60s"
            ttl_override = true
            """
        try await withHarness(config) { h in
            let path = "/test/cache?cc=\(q("max-age=0"))"
            _ = try await h.get(path)
            #expect(try await h.get(path).isHit)
        }
    }

    @Test func aRuleWithCacheFalseNeverStores() async throws {
        let config = """
            [[rule]]
            name = "off"
            match = "GET /test/cache"
            cache = false
            """
        try await withHarness(config) { h in
            let path = "/test/cache?cc=\(q("max-age=60"))"
            _ = try await h.get(path)
            let second = try await h.get(path)
            #expect(second.cacheStatus.contains("fwd=bypass"))
        }
    }

    @Test func onlyIfCachedWithNothingStoredIs504() async throws {
        try await withHarness { h in
            let reply = try await h.get("/test/cache?cc=\(q("max-age=60"))", headers: [("cache-control", "only-if-cached")])
            #expect(reply.status == 504)
            #expect(h.upstream.totalRequests() == 0)
        }
    }
}
