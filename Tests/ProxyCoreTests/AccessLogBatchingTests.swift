import Foundation
import NIOCore
import NIOEmbedded
import ProxyConfig
import Testing

@testable import ProxyCore

/// The access log's per-event-loop batching: a loop's records wait in its own list until it is full or its delay
/// passes, and the proxy's lines all reach the file (in order, none lost), also at shutdown.
@Suite struct AccessLogBatchingTests {
    static var record: RequestRecord {
        var record = RequestRecord(start: 1_740_830_645.125, method: "GET", target: "/v1/voices")
        record.rule = "voices"
        record.upstream = "elevenlabs"
        record.status = 200
        record.outcome = .hit
        return record
    }

    func temporaryFile() -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("reprise-access-\(UInt64.random(in: 0...UInt64.max)).log").path
    }

    func lines(_ path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Records wait on their loop for the batch delay, then go to the writer together.
    @Test func aLoopsRecordsWaitForTheBatchDelay() throws {
        let path = self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loop = EmbeddedEventLoop()
        let writer = try AccessLogWriter(appendingTo: path, format: .json)
        let sink = AccessLogLoopSink(eventLoop: loop, writer: writer)
        for _ in 0..<3 { sink.observe(Self.record) }
        writer.flush()
        #expect(try self.lines(path).isEmpty)

        loop.advanceTime(by: AccessLogLoopSink.batchDelay - .milliseconds(1))
        writer.flush()
        #expect(try self.lines(path).isEmpty)

        loop.advanceTime(by: .milliseconds(1))
        writer.flush()
        #expect(try self.lines(path) == Array(repeating: AccessLogLine.fastJSON(Self.record), count: 3))
        #expect(writer.droppedLines == 0)
    }

    /// A full batch goes to the writer at once, without waiting for the delay.
    @Test func aFullBatchIsHandedOverAtOnce() throws {
        let path = self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loop = EmbeddedEventLoop()
        let writer = try AccessLogWriter(appendingTo: path, format: .logfmt)
        let sink = AccessLogLoopSink(eventLoop: loop, writer: writer)
        let perBatch = AccessLogLoopSink.batchRecords
        for _ in 0..<perBatch { sink.observe(Self.record) }
        writer.flush()
        #expect(try self.lines(path) == Array(repeating: AccessLogLine.logfmt(AccessLogLine.fields(of: Self.record)), count: perBatch))
        sink.observe(Self.record)
        writer.flush()
        #expect(try self.lines(path).count == perBatch)
        loop.advanceTime(by: AccessLogLoopSink.batchDelay)
        writer.flush()
        #expect(try self.lines(path).count == perBatch + 1)
    }

    /// A batch that would take the writer past its capacity is dropped whole and counted.
    @Test func aBatchBeyondCapacityIsDroppedAndCounted() throws {
        let loop = EmbeddedEventLoop()
        let sink = AccessLogLoopSink(eventLoop: loop, writer: try AccessLogWriter(appendingTo: "/dev/null", format: .json))
        var pending = PendingRecords(capacity: 3)
        #expect(pending.enqueue(batch: [Self.record, Self.record], from: sink) == .scheduleDrain)
        #expect(pending.enqueue(batch: [Self.record, Self.record], from: sink) == .dropped)
        #expect(pending.enqueue(batch: [Self.record], from: sink) == .none)
        let work = pending.takeAll()
        #expect(work.count == 3 && work.batches.map(\.records.count) == [2, 1])
        #expect(pending.dropped == 2)
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
