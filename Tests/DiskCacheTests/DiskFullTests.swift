import CacheStore
@testable import DiskCache
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A full file system (issue 15, point 3): the disk tier's directory on a tmpfs of a few hundred KiB, far smaller
/// than its budget, so that writes fail with ENOSPC. A failed write stores nothing (no entry, no file, nothing left in
/// `tmp/`), is counted and logged once, and the tier goes on serving what it holds and storing once there is room.
/// Needs the right to mount a tmpfs (root, as CI runs); elsewhere the test is skipped, and says so.
@Suite struct DiskFullTests {
    static let canMount: Bool = {
        #if os(Linux)
        return geteuid() == 0
        #else
        return false
        #endif
    }()

    /// A temporary directory with a tmpfs of `size` mounted on it, unmounted and removed afterwards.
    static func withSmallFileSystem(size: String, _ body: (String) async throws -> Void) async throws {
        #if os(Linux)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(size)") == 0 else {
            throw TestFailure("mount tmpfs on \(path): errno \(errno)")
        }
        defer { umount2(path, Int32(MNT_DETACH)) }
        try await body(path)
        #endif
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Counts the warnings the tier logs.
    final class WarningCounter: @unchecked Sendable {
        let lines = NIOLockedValueBox<[String]>([])
    }

    struct CountingHandler: LogHandler {
        let counter: WarningCounter
        var logLevel: Logger.Level = .warning
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }
        func log(
            level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
            function: String, line: UInt
        ) {
            if level >= .warning { self.counter.lines.withLockedValue { $0.append("\(message)") } }
        }
    }

    @Test(.enabled(if: Self.canMount, "needs root to mount a tmpfs"))
    func aFullDiskStoresNothingPartialCountsAndLogsOnceAndRecovers() async throws {
        try await Self.withSmallFileSystem(size: "320k") { path in
            let counter = WarningCounter()
            let logger = Logger(label: "disk-full") { _ in CountingHandler(counter: counter) }
            let tier = try DiskTier(
                options: DiskTier.Options(path: path, budget: 64 << 20, maxObject: 1 << 20, readIntoMemoryLimit: 1 << 20),
                compile: { text in { $0.hasPrefix(text) } },
                clock: { 1_000 },
                logger: logger
            )
            await tier.settle()
            // Ten bodies of 60 KiB each: the file system holds about four of them.
            let bodies = (0..<10).map { index in String(repeating: Character(String(index)), count: 60 << 10) }
            for (index, body) in bodies.enumerated() {
                await DiskTierTests.store(tier, DiskTierTests.entry("/big/\(index)", body: body))
            }
            let statistics = tier.statistics
            #expect(statistics.ioErrors >= 2, "ENOSPC on the later writes: \(statistics)")
            #expect(statistics.writes >= 1)
            #expect(statistics.writes + statistics.ioErrors + statistics.writesSkipped >= 10)
            // Logged once, however many writes failed.
            #expect(counter.lines.withLockedValue { $0 }.count == 1, "\(counter.lines.withLockedValue { $0 })")

            // What was stored is whole; what failed is a miss; nothing is left half-written.
            var stored: [Int] = []
            for (index, body) in bodies.enumerated() {
                if let entry = try await DiskTierTests.lookup(tier, "/big/\(index)") {
                    #expect(try DiskTierTests.body(entry) == body)
                    stored.append(index)
                }
            }
            #expect(stored.count == statistics.writes)
            let temporary = (try? FileManager.default.contentsOfDirectory(atPath: path + "/tmp")) ?? []
            #expect(temporary.isEmpty, "\(temporary)")

            // Room again (a purge frees it): the next write is stored.
            _ = tier.purge([(Purge(.prefix("/big/")), PurgeSelector(Purge(.prefix("/big/")), compile: { text in { $0.hasPrefix(text) } }))])
            await tier.settle()
            await DiskTierTests.store(tier, DiskTierTests.entry("/after", body: "room again"))
            let after = try #require(try await DiskTierTests.lookup(tier, "/after"))
            #expect(try DiskTierTests.body(after) == "room again")
            await tier.shutdown()
        }
    }
}
