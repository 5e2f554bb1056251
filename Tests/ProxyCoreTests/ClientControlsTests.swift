import AsyncHTTPClient
import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Issue 14, part 2: the per-request controls (`Reprise-Cache-TTL`, `Reprise-Cache-Namespace`), the entry's name
/// (`Reprise-Cache-Key`) and the admin purge by it, through the real listener.
@Suite struct ClientControlsTests {
    static let token = "controls-admin-token-0123"
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "\(token)"

        [[upstream]]
        name = "elevenlabs"
        prefix = "/elevenlabs"
        url = "{UPSTREAM}"
        key_headers = ["xi-api-key"]

        [[upstream]]
        name = "demo"
        prefix = "/"
        url = "{UPSTREAM}"

        [[rule]]
        name = "tts"
        match = "POST /elevenlabs/v1/text-to-speech/*"
        cache_body = true
        ttl = "30d"
        client_ttl_max = "1h"

        [[rule]]
        name = "voices"
        match = "GET /elevenlabs/v1/voices"
        ttl = "1h"
        client_controls = true

        [[rule]]
        name = "plain"
        match = "GET /test/cache"
        ttl = "1h"
        """

    static let ttsPath = "/elevenlabs/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM"

    func tts(_ h: Harness, _ text: String, key: String = "key-A", extra: [(String, String)] = []) async throws -> Reply {
        try await h.request(
            .POST, Self.ttsPath,
            headers: [("xi-api-key", key), ("content-type", "application/json")] + extra,
            body: ByteBuffer(string: #"{"text":"\#(text)","model_id":"m"}"#)
        )
    }

    // MARK: Reprise-Cache-TTL

    @Test func aClientTTLSetsTheStoredFreshnessCappedByTheRule() async throws {
        let clock = ManualClock()
        try await withHarness(Self.config, clock: clock.wallClock) { h in
            let short = try await self.tts(h, "Short-lived", extra: [("reprise-cache-ttl", "60")])
            #expect(short.cacheStatus.contains("stored; ttl=60"), "\(short.cacheStatus)")
            // client_ttl_max = 1h: a day is cut to an hour.
            let long = try await self.tts(h, "Long-lived", extra: [("reprise-cache-ttl", "86400")])
            #expect(long.cacheStatus.contains("stored; ttl=3600"), "\(long.cacheStatus)")
            // Without the field, the rule's ttl.
            let ruled = try await self.tts(h, "Ruled")
            #expect(ruled.cacheStatus.contains("ttl=2592000"), "\(ruled.cacheStatus)")
            clock.advance(by: 61)
            #expect(!(try await self.tts(h, "Short-lived")).isHit)
            #expect(try await self.tts(h, "Long-lived").isHit)
            // Never forwarded: the controls are Reprise's.
            let sent = h.upstream.lastRequestHeaders("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM") ?? []
            #expect(!sent.contains { $0.0.lowercased().hasPrefix("reprise-") })
        }
    }

    @Test func aClientTTLOnAGETRule() async throws {
        let clock = ManualClock()
        try await withHarness(Self.config, clock: clock.wallClock) { h in
            let reply = try await h.get("/elevenlabs/v1/voices", headers: [("xi-api-key", "k"), ("reprise-cache-ttl", "30")])
            #expect(reply.cacheStatus.contains("stored; ttl=30"), "\(reply.cacheStatus)")
            let sent = h.upstream.lastRequestHeaders("/v1/voices") ?? []
            #expect(!sent.contains { $0.0.lowercased() == "reprise-cache-ttl" })
        }
    }

    // MARK: Reprise-Cache-Namespace

    @Test func aNamespaceIsASeparateKeySpace() async throws {
        try await withHarness(Self.config) { h in
            let v1 = try await self.tts(h, "Page one", extra: [("reprise-cache-namespace", "story-v1")])
            #expect(!v1.isHit)
            let v2 = try await self.tts(h, "Page one", extra: [("reprise-cache-namespace", "story-v2")])
            #expect(!v2.isHit)
            let none = try await self.tts(h, "Page one")
            #expect(!none.isHit)
            #expect(try await self.tts(h, "Page one", extra: [("reprise-cache-namespace", "story-v1")]).isHit)
            #expect(try await self.tts(h, "Page one").isHit)
            #expect(h.upstream.requestCount("POST", "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM") == 3)
            let ids = [v1, v2, none].compactMap { $0.headers.first(name: "reprise-cache-key") }
            #expect(Set(ids).count == 3)
            // A namespace on a GET rule with client_controls: its own entry too, and no fast-path hit of another's.
            _ = try await h.get("/elevenlabs/v1/voices", headers: [("xi-api-key", "k")])
            let spaced = try await h.get("/elevenlabs/v1/voices", headers: [("xi-api-key", "k"), ("reprise-cache-namespace", "arm-b")])
            #expect(!spaced.isHit)
            #expect(try await h.get("/elevenlabs/v1/voices", headers: [("xi-api-key", "k"), ("reprise-cache-namespace", "arm-b")]).isHit)
        }
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        let name: String
        let fields: [(String, String)]
        let message: String
        var testDescription: String { self.name }
    }

    static let malformed: [Malformed] = [
        Malformed(name: "ttl not a number", fields: [("Reprise-Cache-TTL", "1h")], message: "Reprise-Cache-TTL must be"),
        Malformed(name: "ttl zero", fields: [("Reprise-Cache-TTL", "0")], message: "Reprise-Cache-TTL must be"),
        Malformed(name: "ttl negative", fields: [("Reprise-Cache-TTL", "-5")], message: "Reprise-Cache-TTL must be"),
        Malformed(name: "ttl fraction", fields: [("Reprise-Cache-TTL", "1.5")], message: "Reprise-Cache-TTL must be"),
        Malformed(name: "ttl overflows", fields: [("Reprise-Cache-TTL", "99999999999")], message: "Reprise-Cache-TTL must be"),
        Malformed(name: "ttl twice", fields: [("Reprise-Cache-TTL", "60"), ("Reprise-Cache-TTL", "70")], message: "Reprise-Cache-TTL must be"),
        Malformed(name: "ttl list", fields: [("Reprise-Cache-TTL", "60, 70")], message: "Reprise-Cache-TTL must be"),
        Malformed(name: "namespace with a space", fields: [("Reprise-Cache-Namespace", "story v2")], message: "Reprise-Cache-Namespace must be"),
        Malformed(name: "namespace too long", fields: [("Reprise-Cache-Namespace", String(repeating: "a", count: 65))], message: "Reprise-Cache-Namespace must be"),
        Malformed(name: "namespace with a slash", fields: [("Reprise-Cache-Namespace", "a/b")], message: "Reprise-Cache-Namespace must be"),
        Malformed(name: "namespace empty", fields: [("Reprise-Cache-Namespace", "")], message: "Reprise-Cache-Namespace must be"),
    ]

    @Test(arguments: malformed)
    func aMalformedControlIsA400(_ c: Malformed) async throws {
        try await withHarness(Self.config) { h in
            let reply = try await self.tts(h, "Anything", extra: c.fields)
            #expect(reply.status == 400)
            #expect(reply.headers.first(name: "content-type") == "application/json")
            let json = try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any]
            #expect((json?["error"] as? String)?.hasPrefix(c.message) == true, "\(reply.text)")
            #expect(h.upstream.totalRequests() == 0)
            // The connection stays usable.
            #expect(try await self.tts(h, "Anything").status == 200)
        }
    }

    @Test func aNamespaceOf64TokenCharactersIsAccepted() async throws {
        try await withHarness(Self.config) { h in
            let namespace = String(repeating: "a", count: 60) + "!#$~"
            let reply = try await self.tts(h, "Edge", extra: [("reprise-cache-namespace", namespace)])
            #expect(reply.status == 200)
        }
    }

    @Test func aRuleWithoutClientControlsIgnoresThem() async throws {
        let clock = ManualClock()
        try await withHarness(Self.config, clock: clock.wallClock) { h in
            let first = try await h.get("/test/cache?size=10", headers: [("reprise-cache-ttl", "nonsense"), ("reprise-cache-namespace", "x")])
            #expect(first.status == 200)
            #expect(first.cacheStatus.contains("ttl=3600"))
            // No separate key space either: a plain request hits the same entry.
            #expect(try await h.get("/test/cache?size=10").isHit)
        }
    }

    // MARK: Reprise-Cache-Key and purges by it

    @Test func theKeyIDNamesTheEntryWithoutRevealingIt() async throws {
        try await withHarness(Self.config) { h in
            let miss = try await self.tts(h, "Secret prompt", key: "sk_very_secret")
            let id = try #require(miss.headers.first(name: "reprise-cache-key"))
            #expect(id.count == 16 && id.allSatisfy { $0.isHexDigit })
            let hit = try await self.tts(h, "Secret prompt", key: "sk_very_secret")
            #expect(hit.isHit)
            #expect(hit.headers.first(name: "reprise-cache-key") == id)
            #expect(try await self.tts(h, "Secret prompt", key: "sk_other").headers.first(name: "reprise-cache-key") != id)
            // The same name on GET routes.
            let voices = try await h.get("/elevenlabs/v1/voices", headers: [("xi-api-key", "k")])
            #expect(voices.headers.first(name: "reprise-cache-key")?.count == 16)
            #expect(try await h.get("/elevenlabs/v1/voices", headers: [("xi-api-key", "k")]).headers.first(name: "reprise-cache-key")
                == voices.headers.first(name: "reprise-cache-key"))
        }
    }

    @Test func anAdminPurgeByKeyDropsThatEntryOnly() async throws {
        try await withHarness(Self.config) { h in
            let one = try await self.tts(h, "Page one")
            _ = try await self.tts(h, "Page two")
            let id = try #require(one.headers.first(name: "reprise-cache-key"))
            let purged = try await h.admin(.POST, "/purge", token: Self.token, body: #"{"keys":["\#(id)"]}"#)
            #expect(purged.status == 200)
            #expect(purged.text.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"purged":1}"#)
            #expect(!(try await self.tts(h, "Page one")).isHit)
            #expect(try await self.tts(h, "Page two").isHit)
            let stats = try await h.admin(.GET, "/stats", token: Self.token)
            #expect(stats.text.contains("POST /purge keys: \(id)"))
        }
    }

    @Test func aPurgeByKeyRefusesWhatIsNotAKeyID() async throws {
        try await withHarness(Self.config) { h in
            for body in [#"{"keys":["/elevenlabs/v1/voices"]}"#, #"{"keys":"abc"}"#, #"{"keys":["ABCDEF0123456789"]}"#] {
                let reply = try await h.admin(.POST, "/purge", token: Self.token, body: body)
                #expect(reply.status == 400, "\(body)")
            }
        }
    }
}
