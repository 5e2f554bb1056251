import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// The admin listener: token, purges, stats.
@Suite struct AdminTests {
    static let token = "test-admin-token-0123456789"
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "\(token)"

        [[rule]]
        name = "cached"
        match = "GET /test/**"
        ttl = "1h"
        tags = ["test"]
        """

    @Test func withoutTheRightTokenNothingIsAnswered() async throws {
        try await withHarness(Self.config) { h in
            #expect(try await h.admin(.GET, "/stats").status == 401)
            let wrong = try await h.admin(.GET, "/stats", token: "wrong-token-0123456789")
            #expect(wrong.status == 401)
            #expect(!wrong.text.contains(Self.token))
            #expect(try await h.admin(.GET, "/stats", token: Self.token).status == 200)
            #expect(try await h.admin(.GET, "/healthz").status == 200)
        }
    }

    @Test func purgeByURLTagAndPrefixAnswersHowManyWereDropped() async throws {
        try await withHarness(Self.config) { h in
            for path in ["/test/echo?a=1", "/test/echo?a=2", "/test/cache?b=1"] { _ = try await h.get(path) }
            #expect(h.server.store.statistics.entries == 3)

            let one = try await h.admin(.RAW(value: "PURGE"), "/test/echo?a=1", token: Self.token)
            #expect(one.status == 200)
            #expect(one.text.contains(#""purged":1"#))
            #expect(!(try await h.get("/test/echo?a=1")).isHit)

            let byPrefix = try await h.admin(.POST, "/purge", token: Self.token, body: #"{"prefixes":["/test/echo"]}"#)
            #expect(byPrefix.text.contains(#""purged":2"#))

            let byTag = try await h.admin(.POST, "/purge", token: Self.token, body: #"{"tags":["test"]}"#)
            #expect(byTag.text.contains(#""purged":1"#))
            #expect(h.server.store.statistics.entries == 0)

            let bad = try await h.admin(.POST, "/purge", token: Self.token, body: "not json")
            #expect(bad.status == 400)
        }
    }

    @Test func statsCountHitsAndForwards() async throws {
        try await withHarness(Self.config) { h in
            _ = try await h.get("/test/echo")
            _ = try await h.get("/test/echo")
            let stats = try await h.admin(.GET, "/stats", token: Self.token)
            #expect(stats.text.contains(#""hits":1"#))
            #expect(stats.text.contains(#""forwarded":1"#))
        }
    }

    /// `/stats` counts finished requests by phase (the dashboard's phase table): each request is counted once, in
    /// the phase its `Cache-Status` came from.
    @Test func statsCountRequestsByPhase() async throws {
        try await withHarness(Self.config) { h in
            let miss = try await h.get("/test/echo?p=1")
            let hit = try await h.get("/test/echo?p=1")
            let bypass = try await h.get("/test/echo?p=2", headers: [("cache-control", "no-store")])
            let error = try await h.get("/test/echo?p=3", headers: [("cache-control", "only-if-cached")])
            #expect(!miss.isHit && hit.isHit && error.status == 504)
            #expect(bypass.headers.first(name: "cache-status")?.contains("fwd=bypass") == true)
            let stats = try await h.admin(.GET, "/stats", token: Self.token)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.text.utf8)) as? [String: Any])
            let phases = try #require(object["phases"] as? [String: Int])
            #expect(phases["miss"] == 1)
            #expect(phases["hit"] == 1)
            #expect(phases["bypass"] == 1)
            #expect(phases["error"] == 1)
            #expect(phases.values.reduce(0, +) == 4)
            #expect(Set(phases.keys) == ["hit", "revalidated", "stale", "stale-updating", "coalesced", "miss", "bypass",
                "pass", "error", "aborted", "local"])
        }
    }

    /// With metrics and the access log both off no request record is built (the lean hit path), and `/stats` says the
    /// phases are not counted rather than showing zeros.
    @Test func withoutRecordsThePhasesAreNull() async throws {
        try await withHarness(Self.config + "\n[metrics]\nenabled = false\n") { h in
            _ = try await h.get("/test/echo?p=1")
            let stats = try await h.admin(.GET, "/stats", token: Self.token)
            #expect(stats.text.contains(#""phases":null"#))
        }
    }
}
