import CacheStore
@testable import DiskCache
import Foundation
import HTTPCaching
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The disk tier against real files in a temporary directory: restarts (a new tier over the same directory),
/// corrupted and truncated files, purges that must survive, the budget, and bodies left in their files.
@Suite struct DiskTierTests {
    // MARK: Set-up

    static let loop = MultiThreadedEventLoopGroup.singleton.next()

    /// A temporary directory, removed afterwards.
    static func withDirectory(_ body: (String) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-disk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await body(path)
    }

    static func open(
        _ path: String,
        budget: Int = 64 << 20,
        readIntoMemoryLimit: Int = 64 << 10,
        now: Double = 1_000
    ) async throws -> DiskTier {
        var logger = Logger(label: "disk-test")
        logger.logLevel = .critical
        let tier = try DiskTier(
            options: DiskTier.Options(path: path, budget: budget, maxObject: budget / 2, readIntoMemoryLimit: readIntoMemoryLimit),
            compile: { text in { $0.hasPrefix(text.replacingOccurrences(of: "*", with: "")) } },
            clock: { now },
            logger: logger
        )
        await tier.settle()
        return tier
    }

    static func entry(
        _ target: String,
        body: String = "hello",
        partition: String = "-",
        tags: [String] = [],
        bytes: Int? = nil,
        savedCost: Int = 0
    ) -> CachedResponse {
        let freshness = Freshness(lifetime: 3_600, source: .maxAge, correctedInitialAge: 0, responseTime: 1_000)
        let content = bytes.map { String(repeating: "x", count: $0) } ?? body
        let headers = HTTPHeaders([("content-type", "text/plain"), ("cache-control", "max-age=3600"), ("etag", "\"e1\"")])
        return CachedResponse(
            key: "GET \(target) \(partition) host",
            target: target,
            partition: partition,
            vary: .empty,
            status: 200,
            headers: headers,
            body: [ByteBuffer(string: content)],
            info: StoredResponseInfo(status: 200, responseHeaders: headers, freshness: freshness),
            tags: tags,
            evictAt: 100_000,
            savedCost: savedCost
        )
    }

    static func lookup(_ tier: DiskTier, _ target: String, partition: String = "-") async throws -> CachedResponse? {
        let request = TierRequest(key: "GET \(target) \(partition) host", path: target.pathWithoutQuery, headers: HTTPHeaders(), now: 1_000)
        switch tier.lookup(request, on: Self.loop) {
        case .answered(.hit(let entry, _)): return entry
        case .answered: return nil
        case .pending(let future):
            if case .hit(let entry, _) = try await future.get() { return entry }
            return nil
        case .later(let later):
            if case .hit(let entry, _) = try await later.future(on: Self.loop).get() { return entry }
            return nil
        }
    }

    static func body(_ entry: CachedResponse) throws -> String {
        if let file = entry.file {
            var bytes = [UInt8](repeating: 0, count: file.length)
            let read = pread(file.descriptor, &bytes, file.length, off_t(file.offset))
            #expect(read == file.length)
            return String(decoding: bytes, as: UTF8.self)
        }
        return entry.body.map { String(buffer: $0) }.joined()
    }

    static func store(_ tier: DiskTier, _ entry: CachedResponse) async {
        tier.store(entry, traits: EntryTraits(cost: 5), token: tier.commitToken())
        await tier.settle()
    }

    static func files(_ path: String) -> [String] {
        let entries = URL(fileURLWithPath: path).appendingPathComponent("entries")
        let directories = (try? FileManager.default.contentsOfDirectory(atPath: entries.path)) ?? []
        return directories.flatMap { directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: entries.appendingPathComponent(directory).path)) ?? [])
                .map { entries.appendingPathComponent(directory).appendingPathComponent($0).path }
        }.sorted()
    }

    // MARK: Restarts

    @Test func anEntryIsServedAgainAfterARestart() async throws {
        try await Self.withDirectory { path in
            let first = try await Self.open(path)
            await Self.store(first, Self.entry("/a", body: "first body", savedCost: 640))
            #expect(try await Self.lookup(first, "/a").map(Self.body) == "first body")
            await first.shutdown()

            let second = try await Self.open(path)
            let found = try await Self.lookup(second, "/a")
            #expect(try found.map(Self.body) == "first body")
            #expect(found?.etag == "\"e1\"")
            // What the generation cost survives too: a hit after the restart still reports it saved.
            #expect(found?.savedCost == 640)
            #expect(found?.freshness.lifetime == 3_600)
            #expect(second.loadReport?.entries == 1)
            await second.shutdown()
        }
    }

    /// Until the start-up scan is complete, a lookup misses at once (the request goes upstream, it does not wait), even
    /// for an entry on disk; then the entry is served.
    @Test func lookupsMissWhileTheIndexIsReadThenHit() async throws {
        try await Self.withDirectory { path in
            let first = try await Self.open(path)
            await Self.store(first, Self.entry("/loading", body: "on disk"))
            await first.shutdown()

            var logger = Logger(label: "disk-test")
            logger.logLevel = .critical
            var options = DiskTier.Options(path: path, budget: 64 << 20, maxObject: 32 << 20)
            options.loadsAtStart = false
            let second = try DiskTier(options: options, compile: { _ in { _ in false } }, clock: { 1_000 }, logger: logger)
            #expect(second.statistics.loading)
            let request = TierRequest(key: "GET /loading - host", path: "/loading", headers: HTTPHeaders(), now: 1_000)
            guard case .answered(.miss) = second.lookup(request, on: Self.loop) else {
                Issue.record("a lookup while loading must miss at once")
                return
            }
            second.startLoading()
            await second.settle()
            #expect(!second.statistics.loading)
            #expect(try await Self.lookup(second, "/loading").map(Self.body) == "on disk")
            await second.shutdown()
        }
    }

    @Test func aNewerResponseReplacesTheOlderFileAndTheNewerWinsAfterARestart() async throws {
        try await Self.withDirectory { path in
            let first = try await Self.open(path)
            await Self.store(first, Self.entry("/v", body: "one"))
            let older = Self.files(path)
            await Self.store(first, Self.entry("/v", body: "two"))
            #expect(Self.files(path).count == 1)
            await first.shutdown()
            // A crash between the new file's rename and the old one's removal leaves both.
            let newer = Self.files(path)[0]
            try FileManager.default.copyItem(atPath: newer, toPath: older[0] + ".copy")
            try FileManager.default.moveItem(atPath: older[0] + ".copy", toPath: older[0])

            let second = try await Self.open(path)
            #expect(Self.files(path) == [newer])
            #expect(try await Self.lookup(second, "/v").map(Self.body) == "two")
            await second.shutdown()
        }
    }

    // MARK: Damaged files

    struct Damage: CustomTestStringConvertible, Sendable {
        let name: String
        let body: Int
        /// Changes the file's bytes.
        let apply: @Sendable (inout [UInt8]) -> Void
        var testDescription: String { self.name }
    }

    static let damages: [Damage] = [
        Damage(name: "a byte of a small body flipped", body: 100) { $0[10] ^= 0xFF },
        Damage(name: "a byte of a large body flipped (sent from its file)", body: 200_000) { $0[150_000] ^= 0x01 },
        Damage(name: "a byte of the meta flipped", body: 100) { $0[$0.count - 40] ^= 0x20 },
        Damage(name: "cut in the body", body: 100) { $0.removeLast($0.count - 50) },
        Damage(name: "cut in the footer", body: 100) { $0.removeLast(3) },
        Damage(name: "emptied", body: 100) { $0.removeAll() },
        Damage(name: "not an entry at all", body: 100) { $0 = Array("garbage".utf8) },
    ]

    @Test(arguments: damages)
    func aDamagedFileIsAMissIsRemovedAndIsCounted(_ damage: Damage) async throws {
        try await Self.withDirectory { path in
            let tier = try await Self.open(path)
            await Self.store(tier, Self.entry("/d", bytes: damage.body))
            let file = try #require(Self.files(path).first)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            damage.apply(&bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: file))

            #expect(try await Self.lookup(tier, "/d") == nil)
            #expect(tier.statistics.corrupt == 1)
            #expect(tier.statistics.entries == 0)
            #expect(Self.files(path).isEmpty)
            await tier.shutdown()
        }
    }

    @Test func aDamagedFileFoundAtStartIsRemovedAndCounted() async throws {
        try await Self.withDirectory { path in
            let first = try await Self.open(path)
            await Self.store(first, Self.entry("/ok"))
            await Self.store(first, Self.entry("/bad"))
            await first.shutdown()
            let bad = try #require(Self.files(path).last)
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: bad))
            try handle.truncate(atOffset: 10)
            try handle.close()

            let second = try await Self.open(path)
            #expect(second.statistics.entries == 1)
            #expect(second.statistics.corrupt == 1)
            #expect(Self.files(path).count == 1)
            #expect(try await Self.lookup(second, "/ok") != nil)
            await second.shutdown()
        }
    }

    // MARK: Purges

    @Test func aPurgeRemovesTheFileAndSurvivesARestart() async throws {
        try await Self.withDirectory { path in
            let first = try await Self.open(path)
            await Self.store(first, Self.entry("/voices", tags: ["voices"]))
            await Self.store(first, Self.entry("/models", tags: ["models"]))
            let result = first.purge([(Purge(.tag("voices")), PurgeSelector.tag("voices", partition: nil))])
            guard case .done(let dropped) = result else { Issue.record("the disk tier purges at once"); return }
            #expect(dropped == 1)
            #expect(try await Self.lookup(first, "/voices") == nil)
            await first.shutdown()

            let second = try await Self.open(path)
            #expect(try await Self.lookup(second, "/voices") == nil)
            #expect(try await Self.lookup(second, "/models") != nil)
            #expect(Self.files(path).count == 1)
            await second.shutdown()
        }
    }

    /// A crash after a purge was journaled but before its file was removed: the restart must not serve the file.
    @Test func aJournaledPurgeWhoseFileWasNotRemovedStillWinsAtStart() async throws {
        try await Self.withDirectory { path in
            let first = try await Self.open(path)
            await Self.store(first, Self.entry("/kept", partition: "p1"))
            await Self.store(first, Self.entry("/gone", partition: "p2"))
            let files = Self.files(path)
            let saved = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
            _ = first.purge([(Purge(.prefix("/go"), partition: "p2"), PurgeSelector.prefix("/go", partition: "p2"))])
            await first.shutdown()
            // Put the removed file back, as if the crash came before its removal.
            for (file, data) in zip(files, saved) { try data.write(to: URL(fileURLWithPath: file)) }

            let second = try await Self.open(path)
            #expect(try await Self.lookup(second, "/gone", partition: "p2") == nil)
            #expect(try await Self.lookup(second, "/kept", partition: "p1") != nil)
            #expect(Self.files(path).count == 1)
            await second.shutdown()
        }
    }

    /// A fetch that began before a purge that selects its response must not store it (the tier's commit token).
    @Test func aWriteFromAFetchOlderThanAMatchingPurgeIsRefused() async throws {
        try await Self.withDirectory { path in
            let tier = try await Self.open(path)
            let token = tier.commitToken()
            _ = tier.purge([(Purge(.path("/raced")), PurgeSelector.path("/raced", partition: nil))])
            tier.store(Self.entry("/raced"), traits: EntryTraits(), token: token)
            tier.store(Self.entry("/elsewhere"), traits: EntryTraits(), token: token)
            await tier.settle()
            #expect(try await Self.lookup(tier, "/raced") == nil)
            #expect(try await Self.lookup(tier, "/elsewhere") != nil)
            #expect(tier.statistics.writesSkipped == 1)
            await tier.shutdown()
        }
    }

    // MARK: Budget and bodies

    @Test func theFilesStayWithinTheBudget() async throws {
        try await Self.withDirectory { path in
            let tier = try await Self.open(path, budget: 64 << 10)
            for index in 0..<40 { await Self.store(tier, Self.entry("/b\(index)", bytes: 3_000)) }
            let statistics = tier.statistics
            #expect(statistics.bytes <= 64 << 10)
            #expect(statistics.evictions > 0)
            #expect(statistics.entries == Self.files(path).count)
            #expect(try await Self.lookup(tier, "/b39") != nil)
            await tier.shutdown()
        }
    }

    @Test func aLargeBodyStaysInItsFileAndASmallOneIsRead() async throws {
        try await Self.withDirectory { path in
            let tier = try await Self.open(path, readIntoMemoryLimit: 1_000)
            await Self.store(tier, Self.entry("/small", bytes: 999))
            await Self.store(tier, Self.entry("/large", bytes: 5_000))
            let small = try #require(try await Self.lookup(tier, "/small"))
            let large = try #require(try await Self.lookup(tier, "/large"))
            #expect(small.isInMemory)
            #expect(!large.isInMemory)
            #expect(try Self.body(large) == String(repeating: "x", count: 5_000))
            #expect(large.bodyLength == 5_000)
            await tier.shutdown()
        }
    }

    @Test func theDirectoryCannotBeUsedByTwoProcessesAtOnce() async throws {
        try await Self.withDirectory { path in
            let first = try await Self.open(path)
            // flock locks belong to the open file description: a second open in this process is refused too.
            #expect(throws: DiskError.self) { _ = try DiskTier(
                options: DiskTier.Options(path: path, budget: 1 << 20, maxObject: 1 << 19),
                compile: { _ in nil },
                clock: { 0 },
                logger: Logger(label: "x")
            ) }
            await first.shutdown()
        }
    }
}
