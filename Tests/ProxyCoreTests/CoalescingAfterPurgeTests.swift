import NIOCore
import Testing

/// A request that arrives after a write never follows a fetch that began before the write's purge: that fetch may
/// carry the pre-write answer (the stale read `bench/book.sh` found through one instance).
@Suite struct CoalescingAfterPurgeTests {
    @Test func aRequestAfterAWriteDoesNotFollowAFetchThatBeganBeforeIt() async throws {
        try await withHarness(PartitionAndInvalidationTests.appConfig) { h in
            let key = [("xi-api-key", "key-A")]
            let path = "/api/v1/tts/voices?delay_ms=600"
            let before = Task { try await h.get(path, headers: key) }
            let deadline = ContinuousClock.now + .seconds(15)
            while h.upstream.requestCount("GET", "/api/v1/tts/voices") < 1 {
                guard ContinuousClock.now < deadline else { throw HarnessError("the first read never reached the upstream") }
                try await Task.sleep(for: .milliseconds(5))
            }
            let created = try await h.request(
                .POST, "/api/v1/tts/clone/create",
                headers: key + [("content-type", "application/json")],
                body: ByteBuffer(string: #"{"name":"AfterWrite"}"#)
            )
            #expect(created.status == 200)
            let after = try await h.get(path, headers: key)
            #expect(after.text.contains("AfterWrite"))
            #expect(!after.cacheStatus.contains("collapsed"))
            #expect(!(try await before.value).text.contains("AfterWrite"))
            #expect(h.upstream.requestCount("GET", "/api/v1/tts/voices") == 2)
        }
    }
}
