import AsyncHTTPClient
import NIOCore
import Testing

/// Request coalescing end to end: concurrent misses on one key make one upstream request.
@Suite struct CoalescingFlowTests {
    @Test func aHundredConcurrentMissesMakeOneUpstreamRequest() async throws {
        try await withHarness { h in
            // The upstream takes a second: the hundred requests arrive while the first one is in flight.
            let path = "/test/cache?cc=\(q("max-age=60"))&size=4096&delay_ms=1000"
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<100 { group.addTask { try await h.get(path) } }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(replies.count == 100)
            #expect(Set(replies.map(\.status)) == [200])
            #expect(Set(replies.map(\.text)).count == 1)
            #expect(replies.allSatisfy { $0.headers.first(name: "x-request-number") == "1" })
            #expect(h.upstream.requestCount("GET", "/test/cache") == 1)
            // One request went upstream; every other one was a follower of it (`collapsed`) or, on a machine too
            // busy to send all hundred within the upstream's second, a hit on what it stored. None fetched again.
            let statuses = replies.map(\.cacheStatus)
            #expect(statuses.filter { $0.contains("miss") && !$0.contains("collapsed") }.count == 1, "\(Set(statuses))")
            #expect(replies.allSatisfy { $0.cacheStatus.contains("collapsed") || $0.isHit || $0.cacheStatus.contains("miss") })
        }
    }

    @Test func followersOfAnUnstorableResponseFetchForThemselves() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=no-store&delay_ms=200"
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<5 { group.addTask { try await h.get(path) } }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(Set(replies.map(\.status)) == [200])
            // Every request reached the upstream: none was answered with another client's uncacheable response.
            #expect(h.upstream.requestCount("GET", "/test/cache") == 5)
            #expect(!replies.contains { $0.cacheStatus.contains("collapsed") })
        }
    }

    @Test func followersAreReleasedWhenTheLeaderFails() async throws {
        try await withHarness { h in
            h.upstream.failNext("/test/cache", status: 503)
            let path = "/test/cache?cc=\(q("max-age=60"))&delay_ms=200"
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<5 { group.addTask { try await h.get(path) } }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            // The 503 is not storable: its followers were released and fetched (and stored) the real answer.
            #expect(replies.filter { $0.status == 503 }.count == 1)
            #expect(replies.filter { $0.status == 200 }.count == 4)
        }
    }
}
