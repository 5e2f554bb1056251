import Foundation
import NIOCore
@testable import ProxyCore
import Testing

/// The operator dashboard (`GET /`), the entries listing (`GET /entries`) and the purge history in `/stats`.
@Suite struct DashboardTests {
    static let token = "dashboard-admin-token-0123456789"
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "\(token)"

        [[rule]]
        name = "echo"
        match = "GET /test/echo"
        ttl = "1h"
        tags = ["echo"]
        key_headers = ["x-api-key"]

        [[rule]]
        name = "cached"
        match = "GET /test/**"
        ttl = "1h"
        tags = ["test"]
        """

    /// 15 entries under /test/echo (tag "echo"), 10 under /test/cache (tag "test").
    static func storeTwentyFive(_ h: Harness) async throws {
        for index in 0..<15 { _ = try await h.get("/test/echo?i=\(index)") }
        for index in 0..<10 { _ = try await h.get("/test/cache?i=\(index)") }
        // A response is stored when its last byte has gone to the client: wait for the last one.
        try await waitUntil { h.server.store.statistics.entries == 25 }
    }

    struct Page {
        var entries: [[String: Any]]
        var nextCursor: String?
    }

    static func page(_ h: Harness, _ query: String) async throws -> Page {
        let reply = try await h.admin(.GET, "/entries" + query, token: Self.token)
        #expect(reply.status == 200, "\(reply.text)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
        let entries = try #require(object["entries"] as? [[String: Any]])
        #expect(object.keys.contains("next_cursor"))
        return Page(entries: entries, nextCursor: object["next_cursor"] as? String)
    }

    // MARK: - /entries

    @Test func pagingVisitsEveryEntryOnceInKeyOrder() async throws {
        try await withHarness(Self.config) { h in
            try await Self.storeTwentyFive(h)
            var sizes: [Int] = []
            var keys: [String] = []
            var cursor: String?
            repeat {
                let page = try await Self.page(h, "?limit=10" + (cursor.map { "&cursor=" + q($0) } ?? ""))
                sizes.append(page.entries.count)
                keys += page.entries.compactMap { $0["key"] as? String }
                cursor = page.nextCursor
            } while cursor != nil && sizes.count < 10
            #expect(sizes == [10, 10, 5])
            #expect(Set(keys).count == 25)
            #expect(keys == keys.sorted())

            let first = try #require(try await Self.page(h, "?limit=1").entries.first)
            #expect(first["status"] as? Int == 200)
            #expect(first["ttl"] as? Int ?? 0 > 3000)
            #expect((first["bytes"] as? Int ?? 0) > 0)
            #expect(first["rule"] as? String == "cached")
            #expect(first["tags"] as? [String] == ["test"])
        }
    }

    @Test func prefixAndTagFilter() async throws {
        try await withHarness(Self.config) { h in
            try await Self.storeTwentyFive(h)
            let byPrefix = try await Self.page(h, "?prefix=" + q("/test/cache"))
            #expect(byPrefix.entries.count == 10)
            #expect(byPrefix.entries.allSatisfy { ($0["target"] as? String ?? "").hasPrefix("/test/cache") })
            #expect(byPrefix.nextCursor == nil)

            let byTag = try await Self.page(h, "?tag=echo&limit=1000")
            #expect(byTag.entries.count == 15)
            #expect(byTag.entries.allSatisfy { $0["rule"] as? String == "echo" })

            #expect(try await Self.page(h, "?tag=echo&prefix=" + q("/test/cache")).entries.isEmpty)
            #expect(try await Self.page(h, "?tag=nothing").entries.isEmpty)
        }
    }

    @Test func partitionsAreShortenedInTheListing() async throws {
        try await withHarness(Self.config) { h in
            _ = try await h.get("/test/echo?user=1", headers: [("x-api-key", "secret-key-value-1234")])
            let stored = try #require(h.server.store.entries().first)
            #expect(stored.partition.count > 8)

            let reply = try await h.admin(.GET, "/entries", token: Self.token)
            #expect(!reply.text.contains(stored.partition))
            #expect(!reply.text.contains("secret-key-value"))
            let entry = try #require(try await Self.page(h, "").entries.first)
            #expect(entry["partition"] as? String == "…" + stored.partition.suffix(8))
            // "GET <target> <partition> <authority>": the partition shortened, the host the client named after it.
            #expect((entry["key"] as? String ?? "").hasSuffix("…" + stored.partition.suffix(8) + " 127.0.0.1:\(h.server.port)"))
        }
    }

    @Test(arguments: [
        "?limit=0", "?limit=1001", "?limit=ten", "?limit=", "?cursor=zz", "?cursor=abc",
        "?limit=5&limit=6", "?sort=key", "?tag=%e9",
    ])
    func badParametersAreRejected(query: String) async throws {
        try await withHarness(Self.config) { h in
            let reply = try await h.admin(.GET, "/entries" + query, token: Self.token)
            #expect(reply.status == 400)
            #expect(reply.headers.first(name: "content-type") == "application/json")
            #expect(reply.text.contains(#""error":"#))
        }
    }

    @Test func entriesNeedTheToken() async throws {
        try await withHarness(Self.config) { h in
            let reply = try await h.admin(.GET, "/entries")
            #expect(reply.status == 401)
        }
    }

    // MARK: - Dashboard

    @Test func dashboardIsServedWithoutATokenAndLoadsNothingFromElsewhere() async throws {
        try await withHarness(Self.config) { h in
            let reply = try await h.admin(.GET, "/?token=\(Self.token)")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "content-type") == "text/html; charset=utf-8")
            #expect(reply.text.hasPrefix("<!doctype html>"))
            #expect(reply.text.contains("/stats"))
            #expect(!reply.text.contains(Self.token))

            let urls = Self.absoluteURLs(in: reply.text)
            #expect(urls.allSatisfy { $0.hasPrefix("http://127.0.0.1") || $0.hasPrefix("http://localhost") }, "\(urls)")
            let policy = reply.headers.first(name: "content-security-policy") ?? ""
            #expect(policy.contains("default-src 'none'"))
            #expect(policy.contains("script-src 'sha256-"))
            #expect(reply.headers.first(name: "referrer-policy") == "no-referrer")

            // The page holds no data; /stats still wants the token.
            #expect(try await h.admin(.GET, "/stats").status == 401)
        }
    }

    /// Every `http://` or `https://` URL in the text (a page that loads nothing from elsewhere has none).
    static func absoluteURLs(in text: String) -> [String] {
        var found: [String] = []
        for scheme in ["http://", "https://"] {
            var rest = Substring(text)
            while let range = rest.range(of: scheme) {
                found.append(String(rest[range.lowerBound...].prefix { !"\"' <>)".contains($0) }))
                rest = rest[range.upperBound...]
            }
        }
        return found
    }

    // MARK: - Purge history

    @Test func adminPurgesAppearInStatsWithoutTheirQuery() async throws {
        try await withHarness(Self.config) { h in
            try await Self.storeTwentyFive(h)
            let before = try await h.admin(.GET, "/stats", token: Self.token)
            #expect(before.text.contains(#""recent_purges":[]"#))

            _ = try await h.admin(.RAW(value: "PURGE"), "/test/cache?i=1", token: Self.token)
            _ = try await h.admin(.POST, "/purge", token: Self.token, body: #"{"tags":["echo"]}"#)

            let stats = try await h.admin(.GET, "/stats", token: Self.token)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.text.utf8)) as? [String: Any])
            let purges = try #require(object["recent_purges"] as? [[String: Any]])
            #expect(purges.count == 2)
            #expect(purges.first?["cause"] as? String == "POST /purge tags: echo")
            #expect(purges.first?["dropped"] as? Int == 15)
            #expect(purges.last?["cause"] as? String == "PURGE /test/cache?…")
            #expect(purges.last?["dropped"] as? Int == 1)
            #expect(purges.last?["time"] as? Double ?? 0 > 1_600_000_000)
        }
    }
}
