import AsyncHTTPClient
import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The disk tier through the real `reprise` executable (issue 15): entries survive SIGTERM and SIGKILL byte for
/// byte, a purge answered before a SIGKILL holds after the restart, and damaged files are misses.
@Suite(.serialized) struct DiskRestartTests {
    static let token = "disk-restart-admin-token"

    static func config(upstreamPort: Int) -> String {
        """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "\(Self.token)"
        shutdown_timeout = "10s"

        [cache]
        memory = "64MiB"
        max_object = "256KiB"           # larger bodies live on disk only, sent with sendfile
        disk_path = "cache"             # beside the config file
        disk_size = "256MiB"
        disk_max_object = "16MiB"

        [metrics]
        enabled = false

        [[upstream]]
        name = "demo"
        prefix = "/"
        url = "http://127.0.0.1:\(upstreamPort)"
        """
    }

    /// A demo upstream, a directory with the config, and the HTTP client; `body` starts and restarts children itself.
    func withSetup(_ body: (Setup) async throws -> Void) async throws {
        let upstream = DemoUpstream()
        let port = try await upstream.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-disk-restart-\(UUID().uuidString)")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let setup = Setup(upstream: upstream, directory: directory, client: client)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Self.config(upstreamPort: port).write(to: setup.configFile, atomically: true, encoding: .utf8)
            try await body(setup)
        } catch {
            setup.killAll()
            try? await client.shutdown()
            try? await upstream.shutdown()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        setup.killAll()
        try await client.shutdown()
        try await upstream.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    final class Setup: @unchecked Sendable {
        let upstream: DemoUpstream
        let directory: URL
        let client: HTTPClient
        private(set) var children: [ChildProxy] = []

        init(upstream: DemoUpstream, directory: URL, client: HTTPClient) {
            self.upstream = upstream
            self.directory = directory
            self.client = client
        }

        var configFile: URL { self.directory.appendingPathComponent("proxy.conf") }
        var cache: URL { self.directory.appendingPathComponent("cache") }

        /// Starts `reprise` and waits until it listens and its disk index is complete.
        func start() async throws -> Running {
            let child = try ChildProxy(executable: try ChildProxy.executable(), config: self.configFile)
            self.children.append(child)
            let port = try await child.waitForPort()
            let admin = try #require(child.adminPort)
            let running = Running(child: child, port: port, admin: admin, client: self.client)
            let deadline = ContinuousClock.now + .seconds(60)
            while (try await running.diskStats())["loading"] as? Bool != false {
                if ContinuousClock.now > deadline { throw HarnessError("the disk index was not read in time\n\(child.transcript)") }
                try await Task.sleep(for: .milliseconds(10))
            }
            return running
        }

        func killAll() {
            for child in self.children { child.killIfRunning() }
        }

        /// The upstream's own answer for `target` (what every answer from the cache must equal, byte for byte).
        func upstreamBody(_ target: String) async throws -> ByteBuffer {
            try await DiskRestartTests.get(self.client, "http://127.0.0.1:\(self.upstream.port)\(target)").body
        }

        /// The entry files under `cache/entries`.
        var entryFiles: [URL] {
            let entries = self.cache.appendingPathComponent("entries")
            let directories = (try? FileManager.default.contentsOfDirectory(atPath: entries.path)) ?? []
            return directories.flatMap { name -> [URL] in
                let directory = entries.appendingPathComponent(name)
                return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).map {
                    directory.appendingPathComponent($0)
                }
            }
        }

        /// The entry file that holds `target` (its meta names it).
        func entryFile(holding target: String) throws -> URL {
            let wanted = Data(" \(target) ".utf8)
            for file in self.entryFiles where try Data(contentsOf: file).range(of: wanted) != nil { return file }
            throw HarnessError("no entry file holds \(target)")
        }
    }

    struct Running: Sendable {
        let child: ChildProxy
        let port: Int
        let admin: Int
        let client: HTTPClient

        /// With one `Host` for every instance: the host is part of the key, and each instance listens on another port.
        func get(_ target: String) async throws -> Reply {
            try await DiskRestartTests.get(self.client, "http://127.0.0.1:\(self.port)\(target)", host: "reprise.test")
        }

        func stats() async throws -> [String: Any] {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(self.admin)/stats")
            request.headers.add(name: "authorization", value: "Bearer \(DiskRestartTests.token)")
            let response = try await self.client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            return try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
        }

        func diskStats() async throws -> [String: Any] {
            try await self.stats()["disk"] as? [String: Any] ?? [:]
        }

        func purge(_ json: String) async throws -> String {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(self.admin)/purge")
            request.method = .POST
            request.headers.add(name: "authorization", value: "Bearer \(DiskRestartTests.token)")
            request.body = .bytes(ByteBuffer(string: json))
            let response = try await self.client.execute(request, timeout: .seconds(10))
            return String(buffer: try await response.body.collect(upTo: 1 << 20))
        }

        /// Waits until every response stored so far is on disk (`writes` counts them).
        func waitForDiskWrites(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while ((try await self.diskStats())["writes"] as? Int ?? 0) < count {
                if ContinuousClock.now > deadline { throw HarnessError("fewer than \(count) disk writes\n\(self.child.transcript)") }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    static func get(_ client: HTTPClient, _ url: String, host: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        if let host { request.headers.add(name: "host", value: host) }
        let response = try await client.execute(request, timeout: .seconds(60))
        return Reply(status: Int(response.status.code), headers: response.headers, body: try await response.body.collect(upTo: 64 << 20))
    }

    /// Cacheable targets of many sizes: small ones are promoted to memory on their first disk hit, those over
    /// `max_object` (256 KiB) stay on disk and go out with `sendfile`.
    static func target(_ index: Int, size: Int, tag: String = "a") -> String {
        "/test/cache?cc=max-age%3D3600&size=\(size)&\(tag)=\(index)"
    }

    static let sizes = [0, 10, 3_000, 100_000, 300_000, 2_000_000]

    // MARK: SIGTERM

    @Test func afterSigtermARestartServesEveryEntryFromDiskByteForByte() async throws {
        try await self.withSetup { setup in
            let targets = Self.sizes.enumerated().map { Self.target($0.offset, size: $0.element) }
            let first = try await setup.start()
            for target in targets { #expect(try await first.get(target).status == 200) }
            try await first.waitForDiskWrites(targets.count)
            first.child.send(SIGTERM)
            #expect(try await first.child.waitForExit() == 0, "\(first.child.transcript)")
            let fetched = setup.upstream.requestCount("GET", "/test/cache")

            let second = try await setup.start()
            #expect((try await second.diskStats())["entries"] as? Int == targets.count)
            for target in targets {
                let reply = try await second.get(target)
                #expect(reply.cacheStatus.hasPrefix("Reprise; hit; ttl="), "\(target): \(reply.cacheStatus)")
                #expect(reply.cacheStatus.hasSuffix("detail=disk"), "\(target): \(reply.cacheStatus)")
                #expect(reply.body == (try await setup.upstreamBody(target)), "\(target)")
                #expect(Int(reply.headers.first(name: "age") ?? "") != nil)
            }
            // The small ones were promoted to memory; the large ones stay on disk.
            for (target, size) in zip(targets, Self.sizes) {
                let reply = try await second.get(target)
                #expect(reply.isHit)
                #expect(reply.cacheStatus.hasSuffix("detail=disk") == (size > 256 << 10), "\(target): \(reply.cacheStatus)")
            }
            #expect(setup.upstream.requestCount("GET", "/test/cache") == fetched + targets.count)
            second.child.send(SIGTERM)
            #expect(try await second.child.waitForExit() == 0, "\(second.child.transcript)")
        }
    }

    // MARK: SIGKILL

    @Test func sigkillDuringHeavyWritesKeepsEveryCommittedEntryAnAnsweredPurgeAndNothingTorn() async throws {
        try await self.withSetup { setup in
            let committed = (0..<12).map { Self.target($0, size: Self.sizes[$0 % Self.sizes.count], tag: "c") }
            let first = try await setup.start()
            for target in committed { _ = try await first.get(target) }
            try await first.waitForDiskWrites(committed.count)
            // A purge answered just before the kill: its entry must never come back.
            let purged = committed[4]
            let reply = try await first.purge(#"{"urls":["\#(purged)"]}"#)
            #expect(reply.contains("\"purged\":1"), "\(reply)")

            // Heavy writes: 120 responses of up to 2 MB at once, killed once about half reached the upstream.
            let heavy = (0..<120).map { Self.target($0, size: [5_000, 80_000, 400_000, 2_000_000][$0 % 4], tag: "h") }
            let before = setup.upstream.requestCount("GET", "/test/cache")
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    for target in heavy { group.addTask { _ = try? await first.get(target) } }
                }
            }
            try await ProcessSignalTests.poll("half the writes reached the upstream", first.child) {
                setup.upstream.requestCount("GET", "/test/cache") >= before + heavy.count / 2
            }
            first.child.send(SIGKILL)
            await load.value
            first.child.process.waitUntilExit()
            #expect(first.child.process.terminatingSignal == SIGKILL)

            let second = try await setup.start()
            let tmp = (try? FileManager.default.contentsOfDirectory(atPath: setup.cache.appendingPathComponent("tmp").path)) ?? []
            #expect(tmp.isEmpty, "files a crash left half-written are removed at start")
            for target in committed where target != purged {
                let reply = try await second.get(target)
                #expect(reply.cacheStatus.hasPrefix("Reprise; hit;"), "\(target): \(reply.cacheStatus)")
                #expect(reply.body == (try await setup.upstreamBody(target)), "\(target)")
            }
            let again = try await second.get(purged)
            #expect(again.cacheStatus.contains("fwd=uri-miss"), "the purged entry came back: \(again.cacheStatus)")
            var survived = 0
            for target in heavy {
                let reply = try await second.get(target)
                if reply.isHit { survived += 1 }
                // A hit or a fresh fetch, never a torn or mixed body.
                #expect(reply.body == (try await setup.upstreamBody(target)), "\(target)")
            }
            #expect((try await second.diskStats())["corrupt_files"] as? Int == 0)
            second.child.send(SIGTERM)
            #expect(try await second.child.waitForExit() == 0)
            // Not every heavy write can have completed (the kill came half-way), and usually some did.
            print("disk restart: \(survived) of \(heavy.count) responses written during the kill were served after it")
        }
    }

    // MARK: Damaged files

    @Test func filesDamagedWhileTheProxyWasDownAreMissesRemovedAndCounted() async throws {
        try await self.withSetup { setup in
            let targets = Self.sizes.enumerated().map { Self.target($0.offset, size: $0.element, tag: "d") }
            let first = try await setup.start()
            for target in targets { _ = try await first.get(target) }
            try await first.waitForDiskWrites(targets.count)
            first.child.send(SIGTERM)
            #expect(try await first.child.waitForExit() == 0)

            // A flipped byte in a small body, in a large body (sent with sendfile), and a file cut short.
            let damaged = [targets[2], targets[5], targets[3]]
            for (index, target) in damaged.enumerated() {
                let file = try setup.entryFile(holding: target)
                var bytes = [UInt8](try Data(contentsOf: file))
                switch index {
                case 0: bytes[100] ^= 0xFF
                case 1: bytes[1_000_000] ^= 0x01
                default: bytes.removeLast(bytes.count / 2)
                }
                try Data(bytes).write(to: file)
            }

            let second = try await setup.start()
            for target in targets {
                let reply = try await second.get(target)
                #expect(reply.isHit == !damaged.contains(target), "\(target): \(reply.cacheStatus)")
                #expect(reply.body == (try await setup.upstreamBody(target)), "\(target)")
            }
            #expect((try await second.diskStats())["corrupt_files"] as? Int == damaged.count)
            second.child.send(SIGTERM)
            #expect(try await second.child.waitForExit() == 0)
        }
    }
}
