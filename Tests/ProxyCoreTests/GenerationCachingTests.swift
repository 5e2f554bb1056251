import AsyncHTTPClient
import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// AI generation caching end to end: body-keyed POSTs, credentials in every form, streamed replays,
/// conditional storage, cost saved.
@Suite struct GenerationCachingTests {
    static let token = "generation-admin-token-0123"
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "\(token)"

        [cache]
        memory = "64MiB"
        max_object = "16MiB"

        [[upstream]]
        name = "elevenlabs"
        prefix = "/elevenlabs"
        url = "{UPSTREAM}"
        key_headers = ["xi-api-key"]

        [[upstream]]
        name = "gemini"
        prefix = "/gemini"
        url = "{UPSTREAM}"
        key_headers = ["x-goog-api-key"]
        key_query_params = ["key"]

        [[upstream]]
        name = "kling"
        prefix = "/kling"
        url = "{UPSTREAM}"
        key_jwt_claim = { header = "Authorization", claim = "iss", secret = "demo-secret" }

        [[rule]]
        name = "tts-stream"
        match = "POST /elevenlabs/v1/text-to-speech/*/stream"
        cache_body = true
        ttl = "30d"

        [[rule]]
        name = "tts"
        match = "POST /elevenlabs/v1/text-to-speech/*"
        cache_body = true
        ttl = "30d"
        max_keyed_body = "4KiB"
        cost_header = "character-cost"
        hit_drop_headers = ["character-cost", "request-id"]

        [[rule]]
        name = "gemini"
        match = "POST /gemini/v1beta/models/*"
        cache_body = true
        ttl = "7d"
        ignore_body_fields = ["/user"]

        [[rule]]
        name = "kling-task"
        match = "GET /kling/v1/images/generations/*"
        ttl = "1d"
        store_if_json = { pointer = "/data/task_status", in = ["succeed", "failed"] }
        """

    static let voice = "21m00Tcm4TlvDq8ikWAM"
    static let ttsPath = "/elevenlabs/v1/text-to-speech/\(voice)"

    func tts(_ h: Harness, body: String, key: String = "key-A", extra: [(String, String)] = []) async throws -> Reply {
        try await h.request(
            .POST, Self.ttsPath,
            headers: [("xi-api-key", key), ("content-type", "application/json")] + extra,
            body: ByteBuffer(string: body)
        )
    }

    @Test func theSamePromptWithItsKeysSwappedCostsOnce() async throws {
        try await withHarness(Self.config) { h in
            let first = try await self.tts(h, body: #"{"text":"Once upon a time","model_id":"eleven_multilingual_v2"}"#)
            #expect(first.status == 200)
            #expect(first.headers.first(name: "character-cost") == "16")
            #expect(first.cacheStatus.contains("stored"))
            let second = try await self.tts(h, body: #"{ "model_id": "eleven_multilingual_v2",  "text": "Once upon a time" }"#)
            #expect(second.isHit)
            #expect(second.body == first.body)
            // Usage headers describe the original generation: dropped on hits so spend is not counted twice.
            #expect(second.headers.first(name: "character-cost") == nil)
            #expect(second.headers.first(name: "request-id") == nil)
            #expect(h.upstream.requestCount("POST", "/v1/text-to-speech/\(Self.voice)") == 1)
            let stats = try await h.admin(.GET, "/stats", token: Self.token)
            #expect(stats.text.contains(#""tts":{"calls_avoided":1,"bytes_from_cache":\#(first.body.readableBytes),"cost_saved":16,"calls_billed":1,"cost_billed":16}"#))
        }
    }

    @Test func differentPromptsOnOneRouteLiveSideBySide() async throws {
        try await withHarness(Self.config) { h in
            _ = try await self.tts(h, body: #"{"text":"Page one","model_id":"m"}"#)
            _ = try await self.tts(h, body: #"{"text":"Page two","model_id":"m"}"#)
            #expect(try await self.tts(h, body: #"{"text":"Page one","model_id":"m"}"#).isHit)
            #expect(try await self.tts(h, body: #"{"text":"Page two","model_id":"m"}"#).isHit)
        }
    }

    @Test func concurrentIdenticalGenerationsMakeOneUpstreamCall() async throws {
        try await withHarness(Self.config) { h in
            let path = Self.ttsPath + "?delay_ms=300"
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for index in 0..<6 {
                    // Same prompt, keys in a different order each time.
                    let body = index.isMultiple(of: 2)
                        ? #"{"text":"Twice told","model_id":"m"}"# : #"{"model_id":"m","text":"Twice told"}"#
                    group.addTask {
                        try await h.request(
                            .POST, path, headers: [("xi-api-key", "key-A"), ("content-type", "application/json")],
                            body: ByteBuffer(string: body)
                        )
                    }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(Set(replies.map(\.status)) == [200])
            #expect(Set(replies.map(\.body)).count == 1)
            #expect(h.upstream.requestCount("POST", "/v1/text-to-speech/\(Self.voice)") == 1)
        }
    }

    @Test func twoAPIKeysMakeTwoGenerations() async throws {
        try await withHarness(Self.config) { h in
            let body = #"{"text":"Hello","model_id":"m"}"#
            _ = try await self.tts(h, body: body, key: "key-A")
            let other = try await self.tts(h, body: body, key: "key-B")
            #expect(!other.isHit)
            #expect(h.upstream.requestCount("POST", "/v1/text-to-speech/\(Self.voice)") == 2)
            #expect(try await self.tts(h, body: body, key: "key-B").isHit)
        }
    }

    @Test func clientNoCacheRegeneratesAndNoStoreBypasses() async throws {
        try await withHarness(Self.config) { h in
            let body = #"{"text":"Again","model_id":"m"}"#
            _ = try await self.tts(h, body: body)
            let fresh = try await self.tts(h, body: body, extra: [("cache-control", "no-cache")])
            #expect(fresh.cacheStatus.contains("fwd=request"))
            let bypass = try await self.tts(h, body: body, extra: [("cache-control", "no-store")])
            #expect(bypass.cacheStatus.contains("fwd=bypass"))
            #expect(h.upstream.requestCount("POST", "/v1/text-to-speech/\(Self.voice)") == 3)
            #expect(try await self.tts(h, body: body).isHit)
        }
    }

    @Test func failuresAreNeverStored() async throws {
        try await withHarness(Self.config) { h in
            h.upstream.failNext("/v1/text-to-speech/\(Self.voice)", status: 429)
            let body = #"{"text":"Busy","model_id":"m"}"#
            let busy = try await self.tts(h, body: body)
            #expect(busy.status == 429)
            let retry = try await self.tts(h, body: body)
            #expect(retry.status == 200)
            #expect(!retry.isHit)
            let unauthorized = try await self.tts(h, body: body, key: "bad")
            #expect(unauthorized.status == 401)
            #expect(!(try await self.tts(h, body: body, key: "bad")).isHit)
        }
    }

    @Test func aBodyOverMaxKeyedBodyIsForwardedIntactAndUncached() async throws {
        try await withHarness(Self.config) { h in
            let text = String(repeating: "long story ", count: 600)
            let body = #"{"text":"\#(text)","model_id":"m"}"#
            let first = try await self.tts(h, body: body)
            #expect(first.status == 200)
            #expect(first.cacheStatus.contains("detail=body-too-large"))
            #expect(first.headers.first(name: "character-cost") == String(text.count))
            #expect(!(try await self.tts(h, body: body)).isHit)
        }
    }

    @Test func withoutItsCredentialABodyKeyedRouteDoesNotCache() async throws {
        try await withHarness(Self.config) { h in
            let path = "/gemini/v1beta/models/gemini-2.5-flash:generateContent"
            let reply = try await h.request(.POST, path, headers: [("content-type", "application/json")], body: ByteBuffer(string: "{}"))
            #expect(reply.status == 403)
            #expect(reply.cacheStatus.contains("detail=no-credential"))
        }
    }

    @Test func geminiQueryKeyPartitionsButIsNeverStoredOrShown() async throws {
        try await withHarness(Self.config) { h in
            let secret = "AIzaSy-secret-value-123"
            let path = "/gemini/v1beta/models/gemini-2.5-flash:generateContent?key=\(secret)"
            let body = #"{"contents":[{"role":"user","parts":[{"text":"A story about a fox"}]}],"generationConfig":{"seed":7},"user":"u1"}"#
            let first = try await h.request(.POST, path, headers: [("content-type", "application/json")], body: ByteBuffer(string: body))
            #expect(first.status == 200)
            // "/user" is ignored by the key.
            let reordered = #"{"user":"u2","generationConfig":{"seed":7},"contents":[{"parts":[{"text":"A story about a fox"}],"role":"user"}]}"#
            let second = try await h.request(.POST, path, headers: [("content-type", "application/json")], body: ByteBuffer(string: reordered))
            #expect(second.isHit)
            #expect(second.body == first.body)
            let otherKey = try await h.request(
                .POST, "/gemini/v1beta/models/gemini-2.5-flash:generateContent?key=other-key",
                headers: [("content-type", "application/json")], body: ByteBuffer(string: body)
            )
            #expect(!otherKey.isHit)
            for entry in h.server.store.entries() {
                #expect(!entry.key.contains(secret))
                #expect(!entry.target.contains(secret))
                #expect(!entry.target.contains("key="))
            }
            let stats = try await h.admin(.GET, "/stats", token: Self.token)
            #expect(!stats.text.contains(secret))
        }
    }

    @Test func anSSEReplayIsByteIdentical() async throws {
        try await withHarness(Self.config) { h in
            let path = "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
            let body = #"{"contents":[{"role":"user","parts":[{"text":"Tell a tale"}]}],"generationConfig":{"seed":3}}"#
            let headers = [("x-goog-api-key", "gk-1"), ("content-type", "application/json")]
            let first = try await h.request(.POST, path, headers: headers, body: ByteBuffer(string: body))
            #expect(first.status == 200)
            #expect(first.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
            #expect(first.text.components(separatedBy: "data: ").count >= 4)
            let replay = try await h.request(.POST, path, headers: headers, body: ByteBuffer(string: body))
            #expect(replay.isHit)
            #expect(replay.body == first.body)
            #expect(h.upstream.requestCount("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent") == 1)
            // The same framing: chunked, one chunk per event as the upstream flushed them.
            let raw = try await RawClient.exchange(
                port: h.server.port,
                bytes: "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(h.server.port)\r\nx-goog-api-key: gk-1\r\ncontent-type: application/json\r\n"
                    + "content-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
            )
            #expect(raw.text.lowercased().contains("transfer-encoding: chunked"))
            #expect(raw.text.contains("; hit"))
            #expect(raw.text.components(separatedBy: "\r\ndata: ").count >= 4)
        }
    }

    @Test func streamedAudioIsRelayedAndReplayed() async throws {
        try await withHarness(Self.config) { h in
            let path = Self.ttsPath + "/stream?size=\(14 << 20)"
            let headers = [("xi-api-key", "key-A"), ("content-type", "application/json")]
            let body = ByteBuffer(string: #"{"text":"A long chapter","model_id":"m"}"#)
            let first = try await h.request(.POST, path, headers: headers, body: body)
            #expect(first.body.readableBytes == 14 << 20)
            let replay = try await h.request(.POST, path, headers: headers, body: body)
            #expect(replay.isHit)
            #expect(replay.body == first.body)
        }
    }

    @Test func aGenerationTheClientAbandonedIsFinishedAndStored() async throws {
        try await withHarness(Self.config) { h in
            // 14 MiB in 16 KiB chunks, 1 ms apart (about a second upstream); the client leaves after ~100 KB.
            let path = Self.ttsPath + "/stream?size=\(14 << 20)&chunk_delay_ms=1"
            let body = #"{"text":"An abandoned chapter","model_id":"m"}"#
            let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(h.server.port)\r\nxi-api-key: key-A\r\ncontent-type: application/json\r\n"
                + "content-length: \(body.utf8.count)\r\n\r\n\(body)"
            let read = try await RawClient.abandon(port: h.server.port, bytes: request, after: 100_000)
            #expect(read < 14 << 20)
            // The first bytes reached the client while the upstream was still generating: nothing is stored yet.
            #expect(h.server.store.statistics.entries == 0)
            // finish_on_client_abort (the default for body-keyed rules): the upstream call completes and is stored.
            // The rest of the generation streams on without a client (a loaded machine may take a while).
            try await waitUntil(timeout: .seconds(60)) { h.server.store.statistics.entries == 1 }
            let next = try await h.request(
                .POST, path, headers: [("xi-api-key", "key-A"), ("content-type", "application/json")], body: ByteBuffer(string: body)
            )
            #expect(next.isHit)
            #expect(next.body.readableBytes == 14 << 20)
            #expect(h.upstream.requestCount("POST", "/v1/text-to-speech/\(Self.voice)/stream") == 1)
        }
    }

    @Test func aKlingTaskIsStoredOnlyOnceItIsFinal() async throws {
        var options = DemoUpstream.Options()
        options.klingPollsUntilDone = 2
        try await withHarness(Self.config, upstreamOptions: options) { h in
            // Kling mints a new JWT for every request; the partition follows its issuer.
            func token(_ n: Int64) -> String { "Bearer " + DemoUpstream.klingToken(accessKey: "AK-family", validFor: 1800 + n) }
            let created = try await h.request(
                .POST, "/kling/v1/images/generations",
                headers: [("authorization", token(0)), ("content-type", "application/json")],
                body: ByteBuffer(string: #"{"prompt":"a fox reading a book","model_name":"kling-v1"}"#)
            )
            #expect(created.status == 200)
            let json = try JSONSerialization.jsonObject(with: Data(created.text.utf8)) as? [String: Any]
            let task = try #require((json?["data"] as? [String: Any])?["task_id"] as? String)
            let poll = "/kling/v1/images/generations/\(task)"
            var statuses: [String] = []
            for n in 1...4 {
                let reply = try await h.get(poll, headers: [("authorization", token(Int64(n)))])
                let body = try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any]
                statuses.append(((body?["data"] as? [String: Any])?["task_status"] as? String) ?? "?")
                if n <= 2 { #expect(!reply.isHit, "a task that is not final is never stored") }
                if n == 4 { #expect(reply.isHit) }
            }
            #expect(statuses == ["submitted", "processing", "succeed", "succeed"])
            #expect(h.upstream.requestCount("GET", poll.replacingOccurrences(of: "/kling", with: "")) == 3)
        }
    }
}
