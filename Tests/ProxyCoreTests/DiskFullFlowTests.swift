import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A full disk through the real listener (issue 15, point 3): the disk tier's directory on a tmpfs far smaller than
/// `disk_size`. Every request is answered whole; what the disk could not take is not stored there (later requests for
/// it go upstream again), the rest is served from disk; `/stats` counts the I/O errors. Needs the right to mount a
/// tmpfs (root, as CI runs); elsewhere the test is skipped, and says so.
@Suite struct DiskFullFlowTests {
    @Test(.enabled(if: geteuid() == 0, "needs root to mount a tmpfs"))
    func aFullDiskNeverFailsARequest() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-full-flow-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard mount("tmpfs", directory, "tmpfs", 0, "size=320k") == 0 else {
            Issue.record("mount tmpfs on \(directory): errno \(errno)")
            return
        }
        defer { umount2(directory, Int32(MNT_DETACH)) }
        // Memory takes nothing ("1B"): every hit comes from disk.
        try await withHarness(DiskTierFlowTests.config(directory + "/cache")) { h in
            let size = 60 << 10
            let targets = (0..<10).map { "/test/cache?cc=max-age%3D3600&size=\(size)&i=\($0)" }
            for target in targets {
                let reply = try await h.get(target)
                #expect(reply.status == 200)
                #expect(reply.body.readableBytes == size)
            }
            // The writes happen in the background: wait for them before reading the counts.
            await h.server.disk?.settle()
            let stats = try await h.admin(.GET, "/stats", token: DiskTierFlowTests.token)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.text.utf8)) as? [String: Any])
            let disk = try #require(object["disk"] as? [String: Any])
            let errors = try #require(disk["io_errors"] as? Int)
            let writes = try #require(disk["writes"] as? Int)
            #expect(errors >= 1, "\(disk)")
            #expect(writes >= 1 && writes < targets.count, "\(disk)")

            // Again: the stored ones from disk, the others from the upstream; every answer whole.
            var fromDisk = 0
            for target in targets {
                let reply = try await h.get(target)
                #expect(reply.status == 200)
                #expect(reply.body.readableBytes == size)
                if reply.isHit { fromDisk += 1 }
            }
            #expect(fromDisk >= 1 && fromDisk <= writes)
        }
    }
}
