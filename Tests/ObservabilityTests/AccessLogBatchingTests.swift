import Foundation
import NIOCore
import NIOEmbedded
import ProxyConfig
import Testing

@testable import Observability

/// The access log's per-event-loop batching: a loop's records wait in its own list until it is full or its delay
/// passes, and the proxy's lines all reach the file (in order, none lost), also at shutdown.
@Suite struct AccessLogBatchingTests {
    static var record: RequestRecord {
        var record = RequestRecord(start: 1_740_830_645.125, method: "GET", target: "/v1/voices")
        record.rule = "voices"
        record.upstream = "elevenlabs"
        record.status = 200
        record.phase = .hit
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
}
