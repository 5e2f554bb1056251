import Foundation
import Observability
import Testing

@testable import ProxyCore

/// The access log through the real listener: every request's line reaches the file, in order, also at shutdown.
@Suite struct AccessLogFlowTests {
    func temporaryFile() -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("reprise-access-\(UInt64.random(in: 0...UInt64.max)).log").path
    }

    func lines(_ path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Through the real listener: one line per request, each request's own, none lost.
    @Test func everyRequestThroughTheProxyHasItsLine() async throws {
        let path = self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = "[log]\naccess = \"\(path)\"\nformat = \"json\"\n"
        let harness = try await Harness.start(config)
        var expected: [String] = []
        for index in 0..<40 {
            let target = "/test/cache?cc=max-age%3D60&n=\(index % 10)"
            _ = try await harness.get(target)
            expected.append(target)
        }
        await harness.server.flushAccessLog()
        let paths = try self.lines(path).map { line -> String in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["path"] as? String ?? ""
        }
        #expect(paths == expected)
        try await harness.stop()
    }

    /// A graceful shutdown writes the lines still waiting in the loops' buffers.
    @Test func shutdownWritesTheLinesStillBuffered() async throws {
        let path = self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let harness = try await Harness.start("[log]\naccess = \"\(path)\"\nformat = \"logfmt\"\n")
        let first = try await harness.get("/test/cache?cc=max-age%3D60")
        let second = try await harness.get("/test/cache?cc=max-age%3D60")
        #expect(!first.isHit && second.isHit)
        try await harness.stop()
        let lines = try self.lines(path)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains(#" path="/test/cache?cc=max-age%3D60" "#) })
        #expect(lines.last?.contains(" cache=hit ") == true)
    }
}
