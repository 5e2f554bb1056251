import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Credential partitions and write-invalidate (rules and RFC 9111 §4.4).
@Suite struct PartitionAndInvalidationTests {
    static let appConfig = """
        [[upstream]]
        name = "backend"
        prefix = "/"
        url = "{UPSTREAM}"
        key_headers = ["xi-api-key"]

        [[rule]]
        name = "voices"
        match = "GET /api/v1/tts/voices"
        ttl = "1h"
        tags = ["voices"]

        [[purge]]
        name = "clone-writes"
        on = ["POST /api/v1/tts/clone/create", "PUT /api/v1/tts/clone/*", "DELETE /api/v1/tts/clone/*"]
        tags = ["voices"]
        """

    @Test func twoAPIKeysNeverShareAnEntry() async throws {
        try await withHarness(Self.appConfig) { h in
            let a = try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-A")])
            let b = try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-B")])
            #expect(!a.isHit && !b.isHit)
            #expect(try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-A")]).isHit)
            #expect(try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-B")]).isHit)
            #expect(h.upstream.requestCount("GET", "/api/v1/tts/voices") == 2)
            // Keys and partitions hold an HMAC, never the credential.
            for entry in h.server.store.entries() {
                #expect(!entry.key.contains("key-A") && !entry.key.contains("key-B"))
                #expect(!entry.partition.contains("key-"))
            }
        }
    }

    @Test func aCloneCreatedDropsTheWritersVoiceListBeforeTheResponseArrives() async throws {
        try await withHarness(Self.appConfig) { h in
            let key = [("xi-api-key", "key-A")]
            _ = try await h.get("/api/v1/tts/voices", headers: key)
            #expect(try await h.get("/api/v1/tts/voices", headers: key).isHit)
            let created = try await h.request(
                .POST, "/api/v1/tts/clone/create",
                headers: key + [("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Grandma"}"#)
            )
            #expect(created.status == 200)
            let after = try await h.get("/api/v1/tts/voices", headers: key)
            #expect(!after.isHit)
            #expect(after.text.contains("Grandma"))
            #expect(h.upstream.requestCount("GET", "/api/v1/tts/voices") == 2)
        }
    }

    @Test func aReadThatRacedAWriteDoesNotStoreThePreWriteAnswer() async throws {
        try await withHarness(Self.appConfig) { h in
            let key = [("xi-api-key", "key-A")]
            // The voice list is read upstream, then held back while the clone is created and purges.
            let slow = Task { try await h.get("/api/v1/tts/voices?delay_ms=300", headers: key) }
            let deadline = ContinuousClock.now + .seconds(10)
            while h.upstream.requestCount("GET", "/api/v1/tts/voices") == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            let created = try await h.request(
                .POST, "/api/v1/tts/clone/create",
                headers: key + [("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Racer"}"#)
            )
            #expect(created.status == 200)
            let raced = try await slow.value
            #expect(raced.status == 200 && !raced.text.contains("Racer"))
            // Without the purge journal, the pre-write list fetched before the purge would now be a hit.
            let next = try await h.get("/api/v1/tts/voices?delay_ms=300", headers: key)
            #expect(!next.isHit)
            #expect(next.text.contains("Racer"))
        }
    }

    /// A write that purges another partition while a read is in flight does not cost that read its storing.
    @Test func aReadInFlightDuringAnUnrelatedPurgeIsStored() async throws {
        try await withHarness(Self.appConfig) { h in
            let slow = Task { try await h.get("/api/v1/tts/voices?delay_ms=300", headers: [("xi-api-key", "key-A")]) }
            let deadline = ContinuousClock.now + .seconds(10)
            while h.upstream.requestCount("GET", "/api/v1/tts/voices") == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            let created = try await h.request(
                .POST, "/api/v1/tts/clone/create",
                headers: [("xi-api-key", "key-B"), ("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Elsewhere"}"#)
            )
            #expect(created.status == 200)
            #expect(try await slow.value.cacheStatus.contains("stored"))
            #expect(try await h.get("/api/v1/tts/voices?delay_ms=300", headers: [("xi-api-key", "key-A")]).isHit)
        }
    }

    @Test func writerScopeLeavesOtherPartitionsAndAllScopeDropsThem() async throws {
        try await withHarness(Self.appConfig) { h in
            _ = try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-A")])
            _ = try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-B")])
            _ = try await h.request(
                .POST, "/api/v1/tts/clone/create",
                headers: [("xi-api-key", "key-A"), ("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Grandpa"}"#)
            )
            #expect(try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-B")]).isHit)
            #expect(!(try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-A")])).isHit)
        }
        let allScope = Self.appConfig + "\nscope = \"all\"\n"
        try await withHarness(allScope) { h in
            _ = try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-B")])
            _ = try await h.request(
                .POST, "/api/v1/tts/clone/create",
                headers: [("xi-api-key", "key-A"), ("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Grandpa"}"#)
            )
            #expect(!(try await h.get("/api/v1/tts/voices", headers: [("xi-api-key", "key-B")])).isHit)
        }
    }

    @Test func deleteAndPutOfACloneAlsoInvalidate() async throws {
        try await withHarness(Self.appConfig) { h in
            let key = [("xi-api-key", "key-A")]
            let created = try await h.request(
                .POST, "/api/v1/tts/clone/create",
                headers: key + [("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Temp"}"#)
            )
            let json = try JSONSerialization.jsonObject(with: Data(created.text.utf8)) as? [String: Any]
            let voiceID = try #require(json?["voice_id"] as? String)
            _ = try await h.get("/api/v1/tts/voices", headers: key)
            let renamed = try await h.request(
                .PUT, "/api/v1/tts/clone/\(voiceID)",
                headers: key + [("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"Renamed"}"#)
            )
            #expect(renamed.status == 200)
            let listed = try await h.get("/api/v1/tts/voices", headers: key)
            #expect(!listed.isHit)
            #expect(listed.text.contains("Renamed"))
            let deleted = try await h.request(.DELETE, "/api/v1/tts/clone/\(voiceID)", headers: key)
            #expect(deleted.status == 200)
            let final = try await h.get("/api/v1/tts/voices", headers: key)
            #expect(!final.isHit)
            #expect(!final.text.contains("Renamed"))
        }
    }

    @Test func unsafeMethodInvalidatesItsOwnTargetPerRFC9111Section4_4() async throws {
        let config = """
            [[rule]]
            name = "echo"
            match = "GET /test/echo"
            ttl = "1h"
            """
        try await withHarness(config) { h in
            _ = try await h.get("/test/echo?id=1")
            #expect(try await h.get("/test/echo?id=1").isHit)
            let posted = try await h.request(.POST, "/test/echo?id=1", body: ByteBuffer(string: "x"))
            #expect(posted.status == 200)
            #expect(posted.cacheStatus.contains("fwd=method"))
            #expect(!(try await h.get("/test/echo?id=1")).isHit)
        }
    }

    @Test func anErrorAnswerInvalidatesNothing() async throws {
        try await withHarness(Self.appConfig) { h in
            let key = [("xi-api-key", "key-A")]
            _ = try await h.get("/api/v1/tts/voices", headers: key)
            let failed = try await h.request(.DELETE, "/api/v1/tts/clone/unknownvoice000000000", headers: key)
            #expect(failed.status == 404)
            #expect(try await h.get("/api/v1/tts/voices", headers: key).isHit)
        }
    }

    @Test func sameOriginLocationIsInvalidated() async throws {
        let config = """
            [[rule]]
            name = "echo"
            match = "GET /test/echo"
            ttl = "1h"
            """
        try await withHarness(config) { h in
            _ = try await h.get("/test/echo?id=7")
            #expect(try await h.get("/test/echo?id=7").isHit)
            // PUT to /test/cache answers 200 with a Location pointing at the cached echo.
            let put = try await h.request(.PUT, "/test/cache?location=\(q("/test/echo?id=7"))", body: ByteBuffer(string: "x"))
            #expect(put.status < 400)
            #expect(!(try await h.get("/test/echo?id=7")).isHit)
        }
    }

    @Test func writerScopeFollowsQueryCredentialsToo() async throws {
        let config = """
            [[upstream]]
            name = "api"
            prefix = "/"
            url = "{UPSTREAM}"
            key_query_params = ["key"]

            [[rule]]
            name = "echo"
            match = "GET /test/echo"
            ttl = "1h"
            tags = ["echo"]

            [[purge]]
            name = "uploads"
            on = ["POST /test/upload"]
            tags = ["echo"]
            """
        try await withHarness(config) { h in
            _ = try await h.get("/test/echo?key=A")
            _ = try await h.get("/test/echo?key=B")
            #expect(try await h.get("/test/echo?key=A").isHit)
            let write = try await h.request(.POST, "/test/upload?key=A", body: ByteBuffer(string: "x"))
            #expect(write.status == 200)
            #expect(!(try await h.get("/test/echo?key=A")).isHit)
            #expect(try await h.get("/test/echo?key=B").isHit)
        }
    }
}
