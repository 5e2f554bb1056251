import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Issue 12: no input that is not part of the cache key reaches a shared entry. Each case is an attack request
/// followed by a clean request from another client, whose body must be the upstream's clean answer.
@Suite struct CachePoisoningTests {
    /// `/test/echo` reflects every request header into its body, as an upstream that builds links from
    /// `X-Forwarded-Host` would; the rule makes it cacheable for everyone.
    static let echoRule = """
        [[rule]]
        name = "echo"
        match = "GET /test/echo"
        ttl = "1h"
        """

    static func headers(in reply: Reply) throws -> [(String, String)] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
        return (json["headers"] as? [[String]] ?? []).map { ($0[0].lowercased(), $0[1]) }
    }

    static func value(_ name: String, in reply: Reply) throws -> String? {
        try self.headers(in: reply).first { $0.0 == name }?.1
    }

    @Test(arguments: [
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "javascript"),
        ("x-forwarded-for", "6.6.6.6"),
        ("forwarded", "for=6.6.6.6;host=evil.example;proto=https"),
        ("x-forwarded-port", "666"),
        ("x-original-url", "/admin"),
        ("x-http-method-override", "DELETE"),
    ])
    func forwardingFieldsFromAClientAreReplaced(name: String, value: String) async throws {
        try await withHarness(Self.echoRule) { h in
            let attack = try await h.get("/test/echo", headers: [(name, value)])
            #expect(attack.status == 200)
            // What went upstream carries Reprise's values, not the client's.
            #expect(try Self.headers(in: attack).allSatisfy { !$0.1.contains(value) })
            #expect(try Self.value("x-forwarded-for", in: attack) == "127.0.0.1")
            #expect(try Self.value("x-forwarded-proto", in: attack) == "http")
            #expect(try Self.value("x-forwarded-host", in: attack) == "127.0.0.1:\(h.server.port)")
            let clean = try await h.get("/test/echo")
            #expect(clean.isHit)
            #expect(!clean.text.contains(value))
        }
    }

    @Test func theHostTheClientNamesIsPartOfTheKey() async throws {
        try await withHarness(Self.echoRule) { h in
            let attack = try await h.get("/test/echo", headers: [("host", "evil.example")])
            #expect(try Self.value("x-forwarded-host", in: attack) == "evil.example")
            let clean = try await h.get("/test/echo")
            #expect(!clean.isHit)
            #expect(!clean.text.contains("evil.example"))
            // Host names are case-insensitive: the same entry.
            let again = try await h.get("/test/echo", headers: [("host", "EVIL.example")])
            #expect(again.isHit)
        }
    }

    @Test func aTrustedProxyKeepsItsForwardingFieldsAndTheyAreKeyed() async throws {
        let config = """
            [server]
            listen = "127.0.0.1:0"
            trusted_proxies = ["127.0.0.0/8"]
            \(Self.echoRule)
            """
        try await withHarness(config) { h in
            let first = try await h.get(
                "/test/echo",
                headers: [("x-forwarded-for", "203.0.113.9"), ("x-forwarded-host", "books.example"), ("x-forwarded-proto", "https")]
            )
            #expect(try Self.value("x-forwarded-for", in: first) == "203.0.113.9, 127.0.0.1")
            #expect(try Self.value("x-forwarded-host", in: first) == "books.example")
            #expect(try Self.value("x-forwarded-proto", in: first) == "https")
            // Another scheme or host through the same balancer is another entry.
            let other = try await h.get("/test/echo", headers: [("x-forwarded-host", "books.example"), ("x-forwarded-proto", "http")])
            #expect(!other.isHit)
            let same = try await h.get("/test/echo", headers: [("x-forwarded-host", "books.example"), ("x-forwarded-proto", "https")])
            #expect(same.isHit)
        }
    }

    @Test func aGetWithABodyIsRefusedAndClosed() async throws {
        try await withHarness(Self.echoRule) { h in
            let (text, closed) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "GET /test/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nevil!"
            )
            #expect(text.hasPrefix("HTTP/1.1 400"))
            #expect(text.contains("get_with_body"))
            #expect(closed)
            #expect(h.upstream.requestCount("GET", "/test/echo") == 0)
            let (chunked, _) = try await RawClient.exchange(
                port: h.server.port,
                bytes: "HEAD /test/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nevil!\r\n0\r\n\r\n"
            )
            #expect(chunked.hasPrefix("HTTP/1.1 400"))
            #expect(h.server.store.statistics.entries == 0)
            let clean = try await h.get("/test/echo")
            #expect(!clean.text.contains("evil"))
            #expect(clean.text.contains(#""body_bytes":0"#) || clean.text.contains(#""body_bytes" : 0"#))
        }
    }

    @Test func aGetWithABodyPassesUncachedWhenConfigured() async throws {
        let config = """
            [server]
            listen = "127.0.0.1:0"
            get_with_body = "pass"
            \(Self.echoRule)
            """
        try await withHarness(config) { h in
            let warm = try await h.get("/test/echo")
            #expect(!warm.isHit)
            let attack = try await h.request(.GET, "/test/echo", headers: [("x-evil", "1")], body: ByteBuffer(string: "evil!"))
            #expect(attack.status == 200)
            #expect(!attack.isHit)  // never answered from the cache
            #expect(attack.cacheStatus.contains("detail=request-body"))
            #expect(attack.text.contains("x-evil"))
            let clean = try await h.get("/test/echo")
            #expect(clean.isHit)
            #expect(!clean.text.contains("x-evil"))  // never stored
        }
    }

    // MARK: Client-forced refresh (client_refresh)

    static func refreshConfig(_ mode: String?, keyed: Bool = false) -> String {
        """
        [server]
        listen = "127.0.0.1:0"
        \(mode.map { "[cache]\nclient_refresh = \"\($0)\"" } ?? "")
        [[upstream]]
        name = "demo"
        prefix = "/"
        url = "{UPSTREAM}"
        \(keyed ? "key_headers = [\"x-api-key\"]" : "")
        \(Self.echoRule)
        """
    }

    @Test func ownRefreshOfASharedEntryIsServedToTheRefresherOnly() async throws {
        try await withHarness(Self.refreshConfig(nil)) { h in
            _ = try await h.get("/test/echo")
            let attack = try await h.get("/test/echo", headers: [("cache-control", "no-cache"), ("x-evil", "1")])
            #expect(!attack.isHit)
            #expect(attack.text.contains("x-evil"))
            #expect(attack.cacheStatus.contains("fwd=request"))
            #expect(attack.cacheStatus.contains("detail=refresh-own"))
            let pragma = try await h.get("/test/echo", headers: [("pragma", "no-cache"), ("x-evil", "2")])
            #expect(pragma.cacheStatus.contains("detail=refresh-own"))
            let maxAge = try await h.get("/test/echo", headers: [("cache-control", "max-age=0"), ("x-evil", "3")])
            #expect(maxAge.cacheStatus.contains("detail=refresh-own"))
            let clean = try await h.get("/test/echo")
            #expect(clean.isHit)
            #expect(!clean.text.contains("x-evil"))
        }
    }

    @Test func ownRefreshReplacesTheEntryOfTheClientsOwnPartition() async throws {
        try await withHarness(Self.refreshConfig("own", keyed: true)) { h in
            _ = try await h.get("/test/echo", headers: [("x-api-key", "alice")])
            let refreshed = try await h.get("/test/echo", headers: [("x-api-key", "alice"), ("cache-control", "no-cache"), ("x-marker", "new")])
            #expect(refreshed.cacheStatus.contains("stored"))
            let alice = try await h.get("/test/echo", headers: [("x-api-key", "alice")])
            #expect(alice.isHit)
            #expect(alice.text.contains("x-marker"))
            // Another key never sees it.
            let bob = try await h.get("/test/echo", headers: [("x-api-key", "bob")])
            #expect(!bob.isHit)
            #expect(!bob.text.contains("x-marker"))
        }
    }

    @Test func sharedRefreshReplacesTheEntryAsBefore() async throws {
        try await withHarness(Self.refreshConfig("shared")) { h in
            _ = try await h.get("/test/echo")
            let refresh = try await h.get("/test/echo", headers: [("cache-control", "no-cache"), ("x-marker", "new")])
            #expect(refresh.cacheStatus.contains("stored"))
            let after = try await h.get("/test/echo")
            #expect(after.isHit)
            #expect(after.text.contains("x-marker"))
        }
    }

    @Test func ignoredRefreshIsAnsweredFromTheCache() async throws {
        try await withHarness(Self.refreshConfig("ignore")) { h in
            _ = try await h.get("/test/echo")
            let attack = try await h.get("/test/echo", headers: [("cache-control", "no-cache"), ("x-evil", "1")])
            #expect(attack.isHit)
            #expect(attack.cacheStatus.contains("detail=refresh-ignored"))
            #expect(!attack.text.contains("x-evil"))
            #expect(h.upstream.requestCount("GET", "/test/echo") == 1)
        }
    }

    @Test func aRuleOverridesTheCacheDefault() async throws {
        let config = """
            [server]
            listen = "127.0.0.1:0"
            [cache]
            client_refresh = "ignore"
            [[rule]]
            name = "echo"
            match = "GET /test/echo"
            ttl = "1h"
            client_refresh = "shared"
            """
        try await withHarness(config) { h in
            _ = try await h.get("/test/echo")
            let refresh = try await h.get("/test/echo", headers: [("cache-control", "no-cache")])
            #expect(!refresh.isHit)
            #expect(refresh.cacheStatus.contains("stored"))
        }
    }
}
