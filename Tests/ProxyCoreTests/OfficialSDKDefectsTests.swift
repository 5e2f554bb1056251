import AsyncHTTPClient
import CompressNIO
import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Issue 14, part 1: what a new user met with the official SDKs, through the repository's own proxy.conf
/// (`ShippedConfig`) in front of the demo upstream. The SDK suite in `examples/fastapi` checks the same with the
/// real clients; these cases pin each defect through the real listener.
@Suite struct OfficialSDKDefectsTests {
    static let story = #"{"contents":[{"role":"user","parts":[{"text":"A fox who reads"}]}],"generationConfig":{"seed":1}}"#

    func generate(_ h: Harness, version: String, query: String = "", headers: [(String, String)]) async throws -> Reply {
        try await h.request(
            .POST, "/gemini/\(version)/models/gemini-2.5-flash:generateContent\(query)",
            headers: headers + [("content-type", "application/json")], body: ByteBuffer(string: Self.story)
        )
    }

    // MARK: Gemini v1 and v1beta

    @Test(arguments: ["v1", "v1beta"])
    func geminiIsCachedOnEitherAPIVersion(_ version: String) async throws {
        try await withHarness(try ShippedConfig.text()) { h in
            let key = [("x-goog-api-key", "gk-1")]
            let first = try await self.generate(h, version: version, headers: key)
            #expect(first.status == 200)
            #expect(first.cacheStatus.contains("stored"), "\(first.cacheStatus)")
            #expect(try await self.generate(h, version: version, headers: key).isHit)
            #expect(h.upstream.requestCount("POST", "/\(version)/models/gemini-2.5-flash:generateContent") == 1)
            // The model list and one model, as google-genai reads them.
            for path in ["/gemini/\(version)/models", "/gemini/\(version)/models/gemini-2.5-flash"] {
                let listed = try await h.get(path, headers: key)
                #expect(listed.status == 200, "\(path)")
                #expect(try await h.get(path, headers: key).isHit, "\(path)")
            }
        }
    }

    @Test func routesThatMatchNoRuleAreListedWithTheirCounts() async throws {
        try await withHarness(try ShippedConfig.text()) { h in
            // Forwarded without a rule: a Kling task submission (never cached, on purpose) and an app route.
            let jwt = "Bearer " + DemoUpstream.klingToken(accessKey: "AK-1")
            for _ in 0..<3 {
                _ = try await h.request(
                    .POST, "/kling/v1/images/generations", headers: [("authorization", jwt), ("content-type", "application/json")],
                    body: ByteBuffer(string: #"{"prompt":"a fox"}"#)
                )
            }
            _ = try await h.get("/api/v1/unknown?key=secret-in-query")
            // Hits of a rule are not listed; nor are requests that matched a rule.
            _ = try await self.generate(h, version: "v1", headers: [("x-goog-api-key", "gk-1")])
            let stats = try await h.admin(.GET, "/stats", token: ShippedConfig.adminToken)
            let json = try JSONSerialization.jsonObject(with: Data(stats.text.utf8)) as? [String: Any]
            let routes = try #require(json?["unmatched_routes"] as? [[String: Any]])
            #expect(routes.first?["route"] as? String == "POST /kling/v1/images/generations")
            #expect(routes.first?["upstream"] as? String == "kling")
            #expect(routes.first?["requests"] as? Int == 3)
            #expect(routes.contains { $0["route"] as? String == "GET /api/v1/unknown" })
            #expect(!stats.text.contains("secret-in-query"))
            #expect(!routes.contains { ($0["route"] as? String)?.contains("generateContent") == true })
        }
    }

    @Test func theUnmatchedRouteListIsBounded() {
        let routes = UnmatchedRoutesProbe.fill(distinct: 500, capacity: 16, heavy: "/hot", heavyCount: 200)
        #expect(routes.count == 16)
        #expect(routes.first?.route == "GET /hot")
        #expect(routes.first?.requests ?? 0 >= 200)
    }

    // MARK: One key, one partition

    @Test func oneGeminiKeyAsHeaderOrQueryIsOnePartition() async throws {
        try await withHarness(try ShippedConfig.text()) { h in
            let header = try await self.generate(h, version: "v1beta", headers: [("x-goog-api-key", "gk-same")])
            #expect(!header.isHit)
            let query = try await self.generate(h, version: "v1beta", query: "?key=gk-same", headers: [])
            #expect(query.isHit, "\(query.cacheStatus)")
            #expect(query.headers.first(name: "reprise-cache-key") == header.headers.first(name: "reprise-cache-key"))
            let other = try await self.generate(h, version: "v1beta", query: "?key=gk-other", headers: [])
            #expect(!other.isHit)
            #expect(h.upstream.requestCount("POST", "/v1beta/models/gemini-2.5-flash:generateContent") == 2)
        }
    }

    // MARK: Codings

    /// A gzip body stored for a client that asked for gzip, from an upstream that does not say `Vary: Accept-Encoding`.
    @Test func aGzipBodyIsDecodedForAClientThatDidNotAcceptIt() async throws {
        var options = DemoUpstream.Options()
        options.gzipWithoutVary = true
        try await withHarness(try ShippedConfig.text(), upstreamOptions: options) { h in
            let key = [("xi-api-key", "key-A")]
            let gzipped = try await h.get("/elevenlabs/v1/voices", headers: key + [("accept-encoding", "gzip, deflate")])
            #expect(gzipped.headers.first(name: "content-encoding") == "gzip")
            #expect(gzipped.headers.first(name: "vary") == nil)
            var compressed = gzipped.body
            let plain = try compressed.decompress(with: .gzip())
            #expect(String(buffer: plain).hasPrefix(#"{"voices":"#))

            // No Accept-Encoding: the stored gzip entry is decoded on the way out.
            let identity = try await h.get("/elevenlabs/v1/voices", headers: key)
            #expect(identity.isHit)
            #expect(identity.headers.first(name: "content-encoding") == nil)
            #expect(identity.body == plain)
            #expect(identity.headers.first(name: "etag")?.hasPrefix("W/\"reprise-") == true)
            #expect(identity.headers[canonicalForm: "vary"].contains { $0.lowercased() == "accept-encoding" })
            // A client that refuses gzip by weight, and one that accepts it.
            let refused = try await h.get("/elevenlabs/v1/voices", headers: key + [("accept-encoding", "gzip;q=0, identity")])
            #expect(refused.headers.first(name: "content-encoding") == nil)
            #expect(refused.body == plain)
            let accepted = try await h.get("/elevenlabs/v1/voices", headers: key + [("accept-encoding", "br, gzip")])
            #expect(accepted.isHit)
            #expect(accepted.headers.first(name: "content-encoding") == "gzip")
            #expect(accepted.body == gzipped.body)
            #expect(h.upstream.requestCount("GET", "/v1/voices") == 1)
        }
    }

    /// A coding Reprise cannot decode (here an unregistered one, as in cache-tests `headers-store-Content-Encoding`)
    /// is served from the store to a request without `Accept-Encoding` (RFC 9110 §12.5.3: any coding is acceptable;
    /// the upstream sent it unasked), and never to one that lists its codings without it.
    @Test func anUndecodableCodingIsServedToARequestWithoutAcceptEncodingOnly() async throws {
        try await withHarness("") { h in
            let path = "/test/cache?cc=max-age%3D3600&content_encoding=apetixmbqfujync"
            let first = try await h.get(path)
            #expect(first.headers.first(name: "content-encoding") == "apetixmbqfujync")
            let again = try await h.get(path)
            #expect(again.isHit)
            #expect(again.headers.first(name: "content-encoding") == "apetixmbqfujync")
            #expect(again.body == first.body)
            let listing = try await h.get(path, headers: [("accept-encoding", "gzip, br")])
            #expect(!listing.isHit)
            #expect(listing.cacheStatus.contains("fwd=vary-miss"))
            #expect(h.upstream.requestCount("GET", "/test/cache") == 2)
        }
    }

    @Test func anUpstreamThatGzipsUnaskedIsDecodedOnTheWayThrough() async throws {
        try await withHarness("") { h in
            let path = "/test/cache?cc=max-age%3D60&size=4000&gzip=force&gzip_vary=0"
            let first = try await h.get(path)
            #expect(first.status == 200)
            #expect(first.headers.first(name: "content-encoding") == nil)
            #expect(first.text.hasPrefix("cache-test /test/cache"))
            #expect(first.body.readableBytes == 4000)
            // Stored as the upstream sent it: a client that accepts gzip gets the gzip bytes from the store.
            let accepting = try await h.get(path, headers: [("accept-encoding", "gzip")])
            #expect(accepting.isHit)
            #expect(accepting.headers.first(name: "content-encoding") == "gzip")
            var body = accepting.body
            #expect(try body.decompress(with: .gzip()) == first.body)
        }
    }

    @Test func aFollowerThatDoesNotAcceptTheLeadersCodingGetsItDecoded() async throws {
        try await withHarness("") { h in
            let path = "/test/cache?cc=max-age%3D60&size=3000&gzip=1&gzip_vary=0&delay_ms=300"
            async let leader = h.get(path, headers: [("accept-encoding", "gzip")])
            try await waitUntil { h.upstream.requestCount("GET", "/test/cache") == 1 }
            async let follower = h.get(path)
            let (l, f) = try await (leader, follower)
            #expect(l.headers.first(name: "content-encoding") == "gzip")
            #expect(f.headers.first(name: "content-encoding") == nil)
            #expect(f.body.readableBytes == 3000)
            #expect(h.upstream.requestCount("GET", "/test/cache") == 1)
        }
    }

    // MARK: Strong validators

    @Test func aVoiceListRevalidatesFromMemoryUntilACloneChangesIt() async throws {
        try await withHarness(try ShippedConfig.text()) { h in
            let key = [("xi-api-key", "key-A")]
            let first = try await h.get("/elevenlabs/v1/voices", headers: key)
            #expect(first.headers.first(name: "cache-control") == "private, no-cache")
            let hit = try await h.get("/elevenlabs/v1/voices", headers: key)
            #expect(hit.isHit)
            let etag = try #require(hit.headers.first(name: "etag"))
            #expect(etag.hasPrefix("\"reprise-"))
            // The client revalidates (no-cache): a 304 from Reprise's memory, the upstream is not asked.
            let revalidated = try await h.get("/elevenlabs/v1/voices", headers: key + [("if-none-match", etag)])
            #expect(revalidated.status == 304)
            #expect(revalidated.isHit)
            #expect(revalidated.headers.first(name: "etag") == etag)
            #expect(h.upstream.requestCount("GET", "/v1/voices") == 1)

            // A clone drops the list: the same revalidation now gets the new list.
            let created = try await h.request(
                .POST, "/elevenlabs/v1/voices/add",
                headers: key + [("content-type", "multipart/form-data; boundary=b")],
                body: ByteBuffer(string: "--b\r\ncontent-disposition: form-data; name=\"name\"\r\n\r\nGrandma\r\n--b--\r\n")
            )
            #expect(created.status == 200)
            let after = try await h.get("/elevenlabs/v1/voices", headers: key + [("if-none-match", etag)])
            #expect(after.status == 200)
            #expect(after.text.contains("Grandma"))
            // That 200 was stored (a complete answer, though the request was conditional): revalidating clients keep
            // being answered from memory after a write.
            #expect(after.cacheStatus.contains("stored"), "\(after.cacheStatus)")
            let next = try await h.get("/elevenlabs/v1/voices", headers: key)
            #expect(next.isHit)
            let newTag = try #require(next.headers.first(name: "etag"))
            #expect(newTag != etag)
            #expect(try await h.get("/elevenlabs/v1/voices", headers: key + [("if-none-match", newTag)]).status == 304)
            #expect(h.upstream.requestCount("GET", "/v1/voices") == 2)
        }
    }

    @Test func theUpstreamsOwnETagIsKeptAndADerivedOneIsNeverSentUpstream() async throws {
        let config = """
            [[rule]]
            name = "short"
            match = "GET /test/cache"
            ttl = "1s"
            """
        let clock = ManualClock()
        try await withHarness(config, clock: clock.wallClock) { h in
            let own = try await h.get("/test/cache?etag=abc&size=10")
            #expect(own.headers.first(name: "etag") == "\"abc\"")
            #expect(try await h.get("/test/cache?etag=abc&size=10").headers.first(name: "etag") == "\"abc\"")

            _ = try await h.get("/test/cache?size=10")
            let derived = try await h.get("/test/cache?size=10")
            #expect(derived.headers.first(name: "etag")?.hasPrefix("\"reprise-") == true)
            clock.advance(by: 5)
            // Stale: fetched again in full, without the derived tag as a validator.
            let refetched = try await h.get("/test/cache?size=10")
            #expect(!refetched.isHit)
            let sent = h.upstream.lastRequestHeaders("/test/cache") ?? []
            #expect(!sent.contains { $0.0.lowercased() == "if-none-match" })
        }
    }

    // MARK: Kling

    @Test func aKlingPollThatIsNotStoredPromisesNoTTL() async throws {
        try await withHarness(try ShippedConfig.text()) { h in
            func jwt() -> String { "Bearer " + DemoUpstream.klingToken(accessKey: "AK-1") }
            let created = try await h.request(
                .POST, "/kling/v1/images/generations", headers: [("authorization", jwt()), ("content-type", "application/json")],
                body: ByteBuffer(string: #"{"prompt":"a fox"}"#)
            )
            let json = try JSONSerialization.jsonObject(with: Data(created.text.utf8)) as? [String: Any]
            let task = try #require((json?["data"] as? [String: Any])?["task_id"] as? String)
            let poll = try await h.get("/kling/v1/images/generations/\(task)", headers: [("authorization", jwt())])
            #expect(poll.text.contains("\"submitted\""))
            #expect(!poll.cacheStatus.contains("ttl="), "\(poll.cacheStatus)")
            #expect(!poll.cacheStatus.contains("stored"))
        }
    }

    /// httpx accepts gzip, so the upstream compresses the task JSON: `store_if_json` reads it decoded.
    @Test func aGzippedFinishedKlingTaskIsStored() async throws {
        try await withHarness(try ShippedConfig.text()) { h in
            func headers() -> [(String, String)] {
                [("authorization", "Bearer " + DemoUpstream.klingToken(accessKey: "AK-2")), ("accept-encoding", "gzip, deflate")]
            }
            let created = try await h.request(
                .POST, "/kling/v1/images/generations", headers: [("authorization", headers()[0].1), ("content-type", "application/json")],
                body: ByteBuffer(string: #"{"prompt":"a fox"}"#)
            )
            let json = try JSONSerialization.jsonObject(with: Data(created.text.utf8)) as? [String: Any]
            let task = try #require((json?["data"] as? [String: Any])?["task_id"] as? String)
            var replies: [Reply] = []
            for _ in 0..<4 { replies.append(try await h.get("/kling/v1/images/generations/\(task)", headers: headers())) }
            #expect(replies[2].headers.first(name: "content-encoding") == "gzip", "the finished task is gzipped")
            #expect(!replies[2].isHit)
            #expect(replies[3].isHit, "\(replies[3].cacheStatus)")
        }
    }
}

/// Drives `UnmatchedRoutes` directly (it is internal to ProxyCore).
enum UnmatchedRoutesProbe {
    struct Row {
        var route: String
        var requests: Int
    }

    static func fill(distinct: Int, capacity: Int, heavy: String, heavyCount: Int) -> [Row] {
        let routes = UnmatchedRoutes(capacity: capacity)
        for index in 0..<max(distinct, heavyCount) {
            if index < distinct { routes.record(method: .GET, path: "/cold/\(index)", upstream: "u") }
            if index < heavyCount { routes.record(method: .GET, path: heavy, upstream: "u") }
        }
        return routes.top(capacity).map { Row(route: $0.route, requests: $0.requests) }
    }
}
