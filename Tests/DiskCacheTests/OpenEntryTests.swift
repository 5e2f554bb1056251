import CacheStore
@testable import DiskCache
import Foundation
import HTTPCaching
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// Large bodies stay in their files; once a read has checked one, its entry stays open with its index record, so
/// that the next hits are answered on the event loop without I/O, until a purge, an eviction or the limit closes it.
@Suite struct OpenEntryTests {
    static func open(_ path: String, openFiles: Int = 256, budget: Int = 64 << 20) async throws -> DiskTier {
        var logger = Logger(label: "disk-test")
        logger.logLevel = .critical
        let tier = try DiskTier(
            options: DiskTier.Options(
                path: path, budget: budget, maxObject: budget / 2, readIntoMemoryLimit: 1_000, openFiles: openFiles
            ),
            compile: { text in { $0.hasPrefix(text.replacingOccurrences(of: "*", with: "")) } },
            clock: { 1_000 },
            logger: logger
        )
        await tier.settle()
        return tier
    }

    enum Answer: Equatable {
        case atOnce
        case afterARead
        case miss
    }

    /// How the tier answered a lookup, and the entry when it was a hit.
    static func ask(_ tier: DiskTier, _ target: String) async throws -> (Answer, CachedResponse?) {
        let request = TierRequest(key: "GET \(target) - host", path: target, headers: HTTPHeaders(), now: 1_000)
        switch tier.lookup(request, on: DiskTierTests.loop) {
        case .answered(.hit(let entry, _)): return (.atOnce, entry)
        case .answered: return (.miss, nil)
        case .pending(let future):
            if case .hit(let entry, _) = try await future.get() { return (.afterARead, entry) }
            return (.miss, nil)
        case .later(let later):
            if case .hit(let entry, _) = try await later.future(on: DiskTierTests.loop).get() { return (.afterARead, entry) }
            return (.miss, nil)
        }
    }

    static func openCount(_ tier: DiskTier) -> Int {
        tier.state.withLockedValue { $0.index.openCount }
    }

    @Test func theSecondHitOfALargeBodyIsAnsweredWithoutARead() async throws {
        try await DiskTierTests.withDirectory { path in
            let tier = try await Self.open(path)
            await DiskTierTests.store(tier, DiskTierTests.entry("/large", bytes: 5_000))
            let (first, _) = try await Self.ask(tier, "/large")
            let (second, entry) = try await Self.ask(tier, "/large")
            #expect(first == .afterARead)
            #expect(second == .atOnce)
            #expect(try DiskTierTests.body(try #require(entry)) == String(repeating: "x", count: 5_000))
            #expect(tier.counters.openHits.load(ordering: .relaxed) == 1)
            #expect(tier.statistics.hits == 2)
            await tier.shutdown()
        }
    }

    @Test func aSmallBodyIsReadEveryTime() async throws {
        try await DiskTierTests.withDirectory { path in
            let tier = try await Self.open(path)
            await DiskTierTests.store(tier, DiskTierTests.entry("/small", bytes: 999))
            #expect(try await Self.ask(tier, "/small").0 == .afterARead)
            #expect(try await Self.ask(tier, "/small").0 == .afterARead)
            #expect(Self.openCount(tier) == 0)
            await tier.shutdown()
        }
    }

    /// A purge drops the open entry with its record; a response already being sent keeps its descriptor.
    @Test func aPurgeClosesItButAWriteUnderWayFinishes() async throws {
        try await DiskTierTests.withDirectory { path in
            let tier = try await Self.open(path)
            await DiskTierTests.store(tier, DiskTierTests.entry("/voices", tags: ["voices"], bytes: 5_000))
            _ = try await Self.ask(tier, "/voices")
            let (_, sending) = try await Self.ask(tier, "/voices")
            #expect(Self.openCount(tier) == 1)
            _ = tier.purge([(Purge(.tag("voices")), PurgeSelector.tag("voices", partition: nil))])
            #expect(try await Self.ask(tier, "/voices").0 == .miss)
            #expect(Self.openCount(tier) == 0)
            await tier.settle()
            #expect(DiskTierTests.files(path).isEmpty)
            #expect(try DiskTierTests.body(try #require(sending)) == String(repeating: "x", count: 5_000))
            await tier.shutdown()
        }
    }

    @Test func aNewerCopyReplacesTheOpenOne() async throws {
        try await DiskTierTests.withDirectory { path in
            let tier = try await Self.open(path)
            await DiskTierTests.store(tier, DiskTierTests.entry("/page", bytes: 5_000))
            _ = try await Self.ask(tier, "/page")
            #expect(try await Self.ask(tier, "/page").0 == .atOnce)
            await DiskTierTests.store(tier, DiskTierTests.entry("/page", body: String(repeating: "y", count: 6_000)))
            let (answer, entry) = try await Self.ask(tier, "/page")
            #expect(answer == .afterARead)
            #expect(try DiskTierTests.body(try #require(entry)) == String(repeating: "y", count: 6_000))
            await tier.shutdown()
        }
    }

    /// With room for two, the third entry opened closes the first (first in, first out); it is read again.
    @Test func noMoreThanTheLimitStayOpen() async throws {
        try await DiskTierTests.withDirectory { path in
            let tier = try await Self.open(path, openFiles: 2)
            for name in ["/a", "/b", "/c"] {
                await DiskTierTests.store(tier, DiskTierTests.entry(name, bytes: 5_000))
                _ = try await Self.ask(tier, name)
            }
            #expect(Self.openCount(tier) == 2)
            #expect(try await Self.ask(tier, "/a").0 == .afterARead)
            #expect(try await Self.ask(tier, "/c").0 == .atOnce)
            #expect(Self.openCount(tier) == 2)
            await tier.shutdown()
        }
    }

    @Test func withALimitOfZeroNothingStaysOpen() async throws {
        try await DiskTierTests.withDirectory { path in
            let tier = try await Self.open(path, openFiles: 0)
            await DiskTierTests.store(tier, DiskTierTests.entry("/large", bytes: 5_000))
            #expect(try await Self.ask(tier, "/large").0 == .afterARead)
            #expect(try await Self.ask(tier, "/large").0 == .afterARead)
            await tier.shutdown()
        }
    }

    /// Many records opened and removed in turn: the queue of open records stays bounded.
    @Test func theQueueDropsItemsOfRemovedRecords() {
        var queue = OpenEntryQueue(limit: 4)
        var open: Set<UInt64> = []
        for sequence in UInt64(1)...1_000 {
            queue.opened(.init(slot: 0, sequence: sequence))
            open.insert(sequence)
            // The record is removed at once: closed, its item now stale.
            open.remove(sequence)
            queue.closed()
            if queue.needsCompaction { queue.compact { open.contains($0.sequence) } }
        }
        #expect(queue.count == 0)
        // Stale items left: no more than the compaction threshold (twice the limit, at least 16).
        var left = 0
        while queue.popOldest() != nil { left += 1 }
        #expect(left <= 16)
    }
}
