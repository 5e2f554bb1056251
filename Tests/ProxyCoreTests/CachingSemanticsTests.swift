import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ProxyCore
import Observability
import Testing

/// The caching-semantics issue end to end: revalidation, client conditionals, ranges, stale serving.
@Suite struct CachingSemanticsTests {
    // MARK: Revalidation (RFC 9111 §4.3)

    @Test func aStaleEntryIsRevalidatedAndA304RefreshesItsHeaders() async throws {
        let clock = ManualClock()
        try await withHarness(clock: clock.wallClock) { h in
            let path = "/test/cache?cc=\(q("max-age=10"))&etag=v1"
            let first = try await h.get(path)
            #expect(first.headers.first(name: "x-request-number") == "1")
            clock.advance(by: 11)
            let revalidated = try await h.get(path)
            #expect(revalidated.status == 200)
            #expect(revalidated.cacheStatus.contains("fwd=stale"))
            #expect(revalidated.cacheStatus.contains("fwd-status=304"))
            #expect(revalidated.text == first.text)
            // The 304's fields replaced the stored ones.
            #expect(revalidated.headers.first(name: "x-request-number") == "2")
            let sent = h.upstream.lastRequestHeaders("/test/cache") ?? []
            #expect(sent.contains { $0.0.lowercased() == "if-none-match" && $0.1 == "\"v1\"" })
        }
    }

    @Test func revalidationUsesIfModifiedSinceWithoutAnETag() async throws {
        let clock = ManualClock()
        try await withHarness(clock: clock.wallClock) { h in
            let path = "/test/cache?cc=\(q("max-age=10"))&lm=\(q("Sun, 01 Nov 2026 00:00:00 GMT"))"
            _ = try await h.get(path)
            clock.advance(by: 11)
            let revalidated = try await h.get(path)
            #expect(revalidated.cacheStatus.contains("fwd-status=304"))
            let sent = h.upstream.lastRequestHeaders("/test/cache") ?? []
            #expect(sent.contains { $0.0.lowercased() == "if-modified-since" })
        }
    }

    @Test func noCacheIsStoredButAlwaysRevalidated() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=no-cache&etag=nc"
            _ = try await h.get(path)
            let second = try await h.get(path)
            #expect(second.cacheStatus.contains("fwd-status=304"))
            #expect(h.upstream.requestCount("GET", "/test/cache") == 2)
        }
    }

    // MARK: Client conditionals (RFC 9110 §13)

    @Test(arguments: [
        ("strong match", "\"v1\"", 304),
        ("weak comparison", "W/\"v1\"", 304),
        ("any", "*", 304),
        ("list", "\"x\", \"v1\"", 304),
        ("no match", "\"other\"", 200),
    ])
    func ifNoneMatchIsAnsweredFromTheCache(name: String, value: String, expected: Int) async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))&etag=v1"
            _ = try await h.get(path)
            let reply = try await h.get(path, headers: [("if-none-match", value)])
            #expect(reply.status == expected, "\(name)")
            #expect(reply.isHit)
            if expected == 304 {
                #expect(reply.headers.first(name: "etag") == "\"v1\"")
                #expect(reply.body.readableBytes == 0)
            }
            #expect(h.upstream.requestCount("GET", "/test/cache") == 1)
        }
    }

    @Test func ifModifiedSinceIsAnsweredFromTheCache() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))&lm=\(q("Sun, 01 Nov 2026 00:00:00 GMT"))"
            let first = try await h.get(path)
            let lastModified = try #require(first.headers.first(name: "last-modified"))
            let reply = try await h.get(path, headers: [("if-modified-since", lastModified)])
            #expect(reply.status == 304)
            #expect(reply.isHit)
        }
    }

    // MARK: Ranges (RFC 9110 §14)

    @Test func aRangeOfAStoredObjectIs206() async throws {
        try await withHarness { h in
            let path = "/test/large?bytes=1000&cc=\(q("max-age=60"))"
            _ = try await h.get(path)
            let reply = try await h.get(path, headers: [("range", "bytes=100-199")])
            #expect(reply.status == 206)
            #expect(reply.isHit)
            #expect(reply.headers.first(name: "content-range") == "bytes 100-199/1000")
            #expect(reply.body.readableBytes == 100)
            let bytes = reply.body.getBytes(at: reply.body.readerIndex, length: 100) ?? []
            #expect(bytes == (100..<200).map { UInt8($0 % 251) })
            #expect(h.upstream.requestCount("GET", "/test/large") == 1)
        }
    }

    @Test func aRangeOfALargerObjectIsRightToo() async throws {
        try await withHarness { h in
            let path = "/test/large?bytes=100000&cc=\(q("max-age=60"))"
            let full = try await h.get(path)
            let hit = try await h.get(path)
            #expect(hit.isHit)
            #expect(hit.body == full.body)
            let reply = try await h.get(path, headers: [("range", "bytes=50000-50099")])
            #expect(reply.status == 206)
            let bytes = reply.body.getBytes(at: reply.body.readerIndex, length: 100) ?? []
            #expect(bytes == (50000..<50100).map { UInt8($0 % 251) })
        }
    }

    @Test func severalRangesAreMultipartAndAnUnsatisfiableRangeIs416() async throws {
        try await withHarness { h in
            let path = "/test/large?bytes=1000&cc=\(q("max-age=60"))"
            _ = try await h.get(path)
            let multi = try await h.get(path, headers: [("range", "bytes=0-9, 500-509")])
            #expect(multi.status == 206)
            #expect(multi.headers.first(name: "content-type")?.hasPrefix("multipart/byteranges; boundary=") == true)
            #expect(multi.text.contains("content-range: bytes 500-509/1000"))
            #expect(Int(multi.headers.first(name: "content-length") ?? "") == multi.body.readableBytes)
            let unsatisfiable = try await h.get(path, headers: [("range", "bytes=5000-")])
            #expect(unsatisfiable.status == 416)
            #expect(unsatisfiable.headers.first(name: "content-range") == "bytes */1000")
        }
    }

    @Test func ifRangeThatDoesNotMatchGetsTheWholeObject() async throws {
        try await withHarness { h in
            let path = "/test/large?bytes=1000&etag=r1&cc=\(q("max-age=60"))"
            _ = try await h.get(path)
            let reply = try await h.get(path, headers: [("range", "bytes=0-9"), ("if-range", "\"other\"")])
            #expect(reply.status == 200)
            #expect(reply.body.readableBytes == 1000)
        }
    }

    // MARK: Stale serving (RFC 5861)

    @Test func anUpstreamErrorAfterStalenessServesTheStaleBody() async throws {
        let clock = ManualClock()
        try await withHarness(clock: clock.wallClock) { h in
            let path = "/test/cache?cc=\(q("max-age=10, stale-if-error=600"))"
            let first = try await h.get(path)
            clock.advance(by: 20)
            h.upstream.failNext("/test/cache", status: 503)
            let stale = try await h.get(path)
            #expect(stale.status == 200)
            #expect(stale.text == first.text)
            #expect(stale.cacheStatus.contains("fwd=stale"))
            #expect(stale.cacheStatus.contains("fwd-status=503"))
            #expect(stale.cacheStatus.contains("detail=stale-if-error"))
            h.upstream.setRefusing(true)
            let refused = try await h.get(path)
            #expect(refused.status == 200)
            #expect(refused.cacheStatus.contains("detail=stale-if-error"))
        }
    }

    @Test func staleIfErrorFromTheRuleWhenTheUpstreamSendsNothing() async throws {
        let clock = ManualClock()
        let config = """
            [[rule]]
            name = "echo"
            match = "GET /test/echo"
            ttl = "10s"
            stale_if_error = "1h"
            """
        try await withHarness(config, clock: clock.wallClock) { h in
            _ = try await h.get("/test/echo")
            clock.advance(by: 30)
            h.upstream.setRefusing(true)
            let stale = try await h.get("/test/echo")
            #expect(stale.status == 200)
            #expect(stale.cacheStatus.contains("detail=stale-if-error"))
        }
    }

    @Test func mustRevalidateForbidsStaleOnError() async throws {
        let clock = ManualClock()
        try await withHarness(clock: clock.wallClock) { h in
            let path = "/test/cache?cc=\(q("max-age=10, must-revalidate, stale-if-error=600"))"
            _ = try await h.get(path)
            clock.advance(by: 20)
            h.upstream.failNext("/test/cache", status: 503)
            #expect(try await h.get(path).status == 503)
        }
    }

    @Test func staleWhileRevalidateAnswersAtOnceAndRefreshesOncePerWindow() async throws {
        // Behind real time, so that the refreshed response (dated now by the upstream) is fresh at once.
        let clock = ManualClock(WallClock.system.now() - 100)
        try await withHarness(clock: clock.wallClock) { h in
            let path = "/test/cache?cc=\(q("max-age=10, stale-while-revalidate=600"))&delay_ms=300"
            _ = try await h.get(path)
            clock.advance(by: 20)
            let first = try await h.get(path)
            #expect(first.cacheStatus.contains("fwd=stale"))
            #expect(first.cacheStatus.contains("detail=stale-while-revalidate"))
            for _ in 0..<4 {
                // Until the one refresh lands, stale answers; after it, fresh hits. Never a trip upstream.
                let reply = try await h.get(path)
                #expect(reply.cacheStatus.contains("detail=stale-while-revalidate") || reply.isHit)
            }
            // The one background refresh completes; it is the only request the stale reads caused.
            try await waitUntil { h.upstream.requestCount("GET", "/test/cache") == 2 && h.server.backgroundRefreshes == 0 }
            #expect(h.upstream.requestCount("GET", "/test/cache") == 2)
            let refreshed = try await h.get(path)
            #expect(refreshed.headers.first(name: "x-request-number") == "2")
        }
    }

    @Test func clientMaxStaleAcceptsAStaleEntry() async throws {
        let clock = ManualClock()
        try await withHarness(clock: clock.wallClock) { h in
            let path = "/test/cache?cc=\(q("max-age=10"))"
            _ = try await h.get(path)
            clock.advance(by: 20)
            let reply = try await h.get(path, headers: [("cache-control", "max-stale=60")])
            #expect(reply.isHit)
            #expect(h.upstream.requestCount("GET", "/test/cache") == 1)
        }
    }

    // MARK: Targeted fields (RFC 9213), invalidation (RFC 9111 §4.4)

    @Test func targetedCacheControlWinsAndIsNotForwarded() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=no-store&cdn_cc=\(q("max-age=60"))"
            let first = try await h.get(path)
            #expect(first.headers.first(name: "cdn-cache-control") == nil)
            #expect(first.headers.first(name: "cache-control") == "no-store")
            let second = try await h.get(path)
            #expect(second.isHit)
            #expect(second.headers.first(name: "cdn-cache-control") == nil)
            let reprise = "/test/cache?cc=\(q("max-age=60"))&reprise_cc=no-store"
            _ = try await h.get(reprise)
            #expect(!(try await h.get(reprise)).isHit)
        }
    }

    @Test func anUnknownUnsafeMethodInvalidatesToo() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))"
            _ = try await h.get(path)
            let custom = try await h.request(.RAW(value: "LINK"), path)
            #expect(custom.status == 200)
            #expect(!(try await h.get(path)).isHit)
        }
    }
}

/// Waits for a condition the test cannot observe through a reply (a background refresh); bounded.
func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline { throw HarnessError("condition not met within \(timeout)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
