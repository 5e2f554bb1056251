import AsyncHTTPClient
import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import ProxyConfig
import ProxyCore
import Observability
import Testing

/// The disk tier through the real listener (issue 15): hits from disk say so and carry a correct `Age`, are promoted
/// when they fit, keep `Vary` variants and credential partitions apart, are purged by every kind of purge (after a
/// restart too), revalidated when stale, and answer ranges from the file.
@Suite struct DiskTierFlowTests {
    static let token = "disk-flow-admin-token-0123"

    /// Memory takes bodies up to `memoryMaxObject` ("1B": nothing, every hit comes from disk).
    static func config(_ directory: String, memoryMaxObject: String = "1B", rules: String = "") -> String {
        """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "\(Self.token)"

        [cache]
        max_object = "\(memoryMaxObject)"
        disk_path = "\(directory)"
        disk_size = "64MiB"
        disk_max_object = "16MiB"

        [[upstream]]
        name = "demo"
        prefix = "/"
        url = "{UPSTREAM}"
        key_headers = ["x-api-key"]

        [[rule]]
        name = "tagged"
        match = "GET /test/cache"
        tags = ["t"]
        \(rules)
        """
    }

    /// A harness over a fresh directory, its requests all naming one host (the host is part of the key, and a
    /// restarted harness listens on another port).
    static func withDisk(
        memoryMaxObject: String = "1B",
        clock: ManualClock? = nil,
        _ body: (Harness, String) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-disk-flow-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var harness = try await Harness.start(Self.config(directory, memoryMaxObject: memoryMaxObject), clock: clock?.wallClock ?? .system)
        harness.host = "disk.test"
        do {
            try await body(harness, directory)
        } catch {
            try? await harness.stop()
            throw error
        }
        try? await harness.stop()
    }

    /// A second proxy over the same directory (the first one stopped).
    static func restart(_ directory: String, memoryMaxObject: String = "1B", clock: ManualClock? = nil) async throws -> Harness {
        var harness = try await Harness.start(
            Self.config(directory, memoryMaxObject: memoryMaxObject),
            clock: clock?.wallClock ?? .system
        )
        harness.host = "disk.test"
        await harness.server.disk?.settle()
        return harness
    }

    static let path = "/test/cache?cc=\(q("max-age=3600"))&size=5000&etag=v1"

    // MARK: Hits

    @Test func aDiskHitSaysSoAndCarriesAge() async throws {
        try await Self.withDisk { h, _ in
            let miss = try await h.get(Self.path)
            #expect(miss.cacheStatus.contains("fwd=uri-miss") && miss.cacheStatus.contains("stored"))
            let hit = try await h.get(Self.path)
            #expect(hit.cacheStatus.hasPrefix("Reprise; hit; ttl="), "\(hit.cacheStatus)")
            #expect(hit.cacheStatus.hasSuffix("; detail=disk"), "\(hit.cacheStatus)")
            #expect(hit.headers.first(name: "age") != nil)
            #expect(hit.body == miss.body)
            #expect(h.upstream.requestCount("GET", "/test/cache") == 1)
            #expect(h.server.store.statistics.entries == 0)
        }
    }

    @Test func aDiskHitIsPromotedToMemoryWhenItFits() async throws {
        try await Self.withDisk(memoryMaxObject: "1MiB") { h, directory in
            _ = try await h.get(Self.path)
            try await h.stop()
            let second = try await Self.restart(directory, memoryMaxObject: "1MiB")
            let fromDisk = try await second.get(Self.path)
            #expect(fromDisk.cacheStatus.hasSuffix("detail=disk"), "\(fromDisk.cacheStatus)")
            let fromMemory = try await second.get(Self.path)
            #expect(fromMemory.isHit && !fromMemory.cacheStatus.contains("detail="), "\(fromMemory.cacheStatus)")
            #expect(fromMemory.body == fromDisk.body)
            try await second.stop()
        }
    }

    @Test func varyVariantsAndCredentialPartitionsAreKeptApart() async throws {
        try await Self.withDisk { h, _ in
            let path = "/test/cache?cc=\(q("max-age=3600"))&vary=accept-language"
            let english = try await h.get(path, headers: [("accept-language", "en"), ("x-api-key", "A")])
            let french = try await h.get(path, headers: [("accept-language", "fr"), ("x-api-key", "A")])
            let otherKey = try await h.get(path, headers: [("accept-language", "en"), ("x-api-key", "B")])
            #expect(!english.isHit && !french.isHit && !otherKey.isHit)
            #expect(try await h.get(path, headers: [("accept-language", "en"), ("x-api-key", "A")]).isHit)
            #expect(try await h.get(path, headers: [("accept-language", "fr"), ("x-api-key", "A")]).isHit)
            #expect(try await h.get(path, headers: [("accept-language", "en"), ("x-api-key", "B")]).isHit)
            #expect(!(try await h.get(path, headers: [("accept-language", "de"), ("x-api-key", "A")])).isHit)
            #expect(h.upstream.requestCount("GET", "/test/cache") == 4)
        }
    }

    @Test func rangesAreServedFromTheFile() async throws {
        try await Self.withDisk { h, _ in
            let full = try await h.get(Self.path)
            let range = try await h.get(Self.path, headers: [("range", "bytes=10-19")])
            #expect(range.status == 206)
            #expect(range.cacheStatus.contains("hit"))
            #expect(range.body == full.body.getSlice(at: 10, length: 10))
            #expect(range.headers.first(name: "content-range") == "bytes 10-19/5000")
        }
    }

    // MARK: Purges

    @Test func aTagPurgeReachesTheDiskAndHoldsAfterARestart() async throws {
        try await Self.withDisk { h, directory in
            let other = "/test/cache?cc=\(q("max-age=3600"))&other=1"
            _ = try await h.get(Self.path)
            _ = try await h.get(other)
            #expect(h.server.disk?.statistics.entries == 2)
            let purged = try await h.admin(.POST, "/purge", token: Self.token, body: "{\"urls\":[\"\(other)\"]}")
            #expect(purged.text.contains("\"purged\":1") && purged.text.contains("\"disk\":1"), "\(purged.text)")
            let tagged = try await h.admin(.POST, "/purge", token: Self.token, body: #"{"tags":["t"]}"#)
            #expect(tagged.text.contains("\"purged\":1"), "\(tagged.text)")
            #expect(h.server.disk?.statistics.entries == 0)
            try await h.stop()
            let second = try await Self.restart(directory)
            let again = try await second.get(Self.path)
            #expect(again.cacheStatus.contains("fwd=uri-miss"), "\(again.cacheStatus)")
            try await second.stop()
        }
    }

    @Test func aWriteToThePathInvalidatesTheDiskEntry() async throws {
        try await Self.withDisk { h, _ in
            let path = "/test/cache?cc=\(q("max-age=3600"))"
            _ = try await h.get(path)
            #expect(try await h.get(path).isHit)
            let write = try await h.request(.POST, path, body: ByteBuffer(string: "x"))
            #expect(write.status == 200)
            #expect(!(try await h.get(path)).isHit)
        }
    }

    // MARK: Trouble

    /// A disk that refuses writes (here `tmp/` is a file, so every write fails as a full disk would) never fails a
    /// request: the answer is the upstream's, the entry is not stored, and the error is counted.
    @Test func aFailingWriteNeverFailsARequest() async throws {
        try await Self.withDisk { h, directory in
            let temporary = directory + "/tmp"
            try FileManager.default.removeItem(atPath: temporary)
            #expect(FileManager.default.createFile(atPath: temporary, contents: Data("not a directory".utf8)))
            let upstreamBody = try await h.get(Self.path).body
            let again = try await h.get(Self.path)
            #expect(again.status == 200)
            #expect(again.body == upstreamBody)
            #expect(!again.isHit, "\(again.cacheStatus)")
            let statistics = try #require(h.server.disk?.statistics)
            #expect(statistics.ioErrors == 2)
            #expect(statistics.entries == 0 && statistics.writes == 0)
            let metrics = try await h.admin(.GET, "/metrics", token: Self.token).text
            #expect(metrics.contains(#"reprise_cache_io_errors_total{tier="disk"} 2"#), "\(metrics)")
        }
    }

    // MARK: Revalidation

    @Test func aStaleDiskEntryIsRevalidatedAndTheRefreshedEntryIsKept() async throws {
        // The proxy's clock starts a minute behind the upstream's `Date`, so that once advanced past the entry's
        // lifetime, the 304's `Date` is not in its past (apparent age 0) and the refreshed entry is fresh.
        let clock = ManualClock(WallClock.system.now() - 60)
        try await Self.withDisk(clock: clock) { h, directory in
            let path = "/test/cache?cc=\(q("max-age=10"))&etag=v7&size=3000"
            let first = try await h.get(path)
            clock.advance(by: 61)
            let revalidated = try await h.get(path)
            #expect(revalidated.cacheStatus.contains("fwd=stale; fwd-status=304"), "\(revalidated.cacheStatus)")
            #expect(revalidated.body == first.body)
            let fresh = try await h.get(path)
            #expect(fresh.isHit, "\(fresh.cacheStatus)")
            #expect(h.upstream.requestCount("GET", "/test/cache") == 2)
            try await h.stop()
            let second = try await Self.restart(directory, clock: clock)
            let afterRestart = try await second.get(path)
            #expect(afterRestart.isHit, "the refreshed entry was kept on disk: \(afterRestart.cacheStatus)")
            #expect(afterRestart.body == first.body)
            try await second.stop()
        }
    }

    // MARK: Observability

    @Test func theDiskTierIsInStatsAndMetrics() async throws {
        try await Self.withDisk { h, _ in
            _ = try await h.get(Self.path)
            _ = try await h.get(Self.path)
            let stats = try await h.admin(.GET, "/stats", token: Self.token)
            let json = try JSONSerialization.jsonObject(with: Data(stats.text.utf8)) as? [String: Any]
            let disk = try #require(json?["disk"] as? [String: Any])
            #expect(disk["entries"] as? Int == 1)
            #expect(disk["hits"] as? Int == 1)
            #expect(disk["writes"] as? Int == 1)
            #expect(disk["budget"] as? Int == 64 << 20)
            #expect(disk["loading"] as? Bool == false)
            let metrics = try await h.admin(.GET, "/metrics", token: Self.token).text
            #expect(metrics.contains(#"reprise_cache_entries{tier="disk"} 1.0"#))
            #expect(metrics.contains(#"reprise_cache_tier_lookups_total{tier="disk",result="hit"} 1"#))
            #expect(metrics.contains(#"reprise_cache_corrupt_files_total{tier="disk"} 0"#))
        }
    }
}
