import Foundation
import ProxyConfig
import Testing

@testable import Observability

/// The access log: exact JSON and logfmt lines for a table of records, the file destination read back, the
/// bounded writer queue, and that a line carries the record's fields and nothing else.
@Suite struct AccessLogTests {
    // MARK: - Lines

    /// A named record and the exact line each format makes of it.
    struct LineCase: CustomTestStringConvertible, Sendable {
        var name: String
        var record: RequestRecord
        var json: String
        var logfmt: String

        var testDescription: String { self.name }
    }

    /// 2025-03-01T12:04:05.125Z, exact in binary.
    static let start = 1_740_830_645.125

    static let lineCases: [LineCase] = [
        LineCase(
            name: "hit from the store",
            record: RequestRecord(
                start: Self.start, method: "GET", target: "/elevenlabs/v1/voices", rule: "voices",
                upstream: "elevenlabs", status: 200, outcome: RequestOutcome(.hit), totalSeconds: 0.000052, bytes: 1234
            ),
            json: #"{"time":"2025-03-01T12:04:05.125Z","method":"GET","path":"/elevenlabs/v1/voices","status":200,"#
                + #""cache":"hit","rule":"voices","upstream":"elevenlabs","total_ms":0.052,"bytes":1234}"#,
            logfmt: "time=2025-03-01T12:04:05.125Z method=GET path=/elevenlabs/v1/voices status=200 cache=hit "
                + "rule=voices upstream=elevenlabs total_ms=0.052 bytes=1234"
        ),
        LineCase(
            name: "miss with upstream time and a detail",
            record: RequestRecord(
                start: Self.start, method: "POST", target: "/elevenlabs/v1/text-to-speech/v1", rule: "tts",
                upstream: "elevenlabs", status: 200, outcome: RequestOutcome(.miss, reason: .proxy(.bodyTooLarge)),
                upstreamSeconds: 0.2505, totalSeconds: 1.25125, bytes: 48_000
            ),
            json: #"{"time":"2025-03-01T12:04:05.125Z","method":"POST","path":"/elevenlabs/v1/text-to-speech/v1","#
                + #""status":200,"cache":"miss","detail":"body-too-large","rule":"tts","upstream":"elevenlabs","#
                + #""upstream_ms":250.500,"total_ms":1251.250,"bytes":48000}"#,
            logfmt: "time=2025-03-01T12:04:05.125Z method=POST path=/elevenlabs/v1/text-to-speech/v1 status=200 "
                + "cache=miss detail=body-too-large rule=tts upstream=elevenlabs upstream_ms=250.500 "
                + "total_ms=1251.250 bytes=48000"
        ),
        LineCase(
            name: "error of the proxy's own, no rule",
            record: RequestRecord(
                start: Self.start, method: "GET", target: "/gemini/v1beta/models", rule: "", upstream: "gemini",
                status: 504, outcome: RequestOutcome(.error, reason: .follower(.timeout)), upstreamSeconds: 5, totalSeconds: 5.0005, bytes: 0
            ),
            json: #"{"time":"2025-03-01T12:04:05.125Z","method":"GET","path":"/gemini/v1beta/models","status":504,"#
                + #""cache":"error","detail":"timeout","rule":"","upstream":"gemini","upstream_ms":5000.000,"#
                + #""total_ms":5000.500,"bytes":0}"#,
            logfmt: "time=2025-03-01T12:04:05.125Z method=GET path=/gemini/v1beta/models status=504 cache=error "
                + #"detail=timeout rule="" upstream=gemini upstream_ms=5000.000 total_ms=5000.500 bytes=0"#
        ),
        LineCase(
            name: "no route: empty rule and upstream",
            record: RequestRecord(
                start: 0, method: "GET", target: "/nowhere", status: 404, outcome: RequestOutcome(.error), totalSeconds: 0, bytes: 9
            ),
            json: #"{"time":"1970-01-01T00:00:00.000Z","method":"GET","path":"/nowhere","status":404,"#
                + #""cache":"error","rule":"","upstream":"","total_ms":0.000,"bytes":9}"#,
            logfmt: #"time=1970-01-01T00:00:00.000Z method=GET path=/nowhere status=404 cache=error rule="" "#
                + #"upstream="" total_ms=0.000 bytes=9"#
        ),
        LineCase(
            name: "target with spaces, quotes, equals, backslash and control characters",
            record: RequestRecord(
                start: Self.start, method: "GET", target: "/backend/search?q=a b\"c\\d\te\u{1}", rule: "search",
                upstream: "backend", status: 200, outcome: RequestOutcome(.bypass), totalSeconds: 0.001, bytes: 2
            ),
            json: #"{"time":"2025-03-01T12:04:05.125Z","method":"GET","#
                + #""path":"/backend/search?q=a b\"c\\d\te\u0001","status":200,"cache":"bypass","rule":"search","#
                + #""upstream":"backend","total_ms":1.000,"bytes":2}"#,
            logfmt: "time=2025-03-01T12:04:05.125Z method=GET "
                + #"path="/backend/search?q=a b\"c\\d\te\u0001" status=200 cache=bypass rule=search "#
                + "upstream=backend total_ms=1.000 bytes=2"
        ),
        LineCase(
            name: "an equals sign alone makes logfmt quote",
            record: RequestRecord(
                start: Self.start, method: "GET", target: "/backend/items?page=2", rule: "items",
                upstream: "backend", status: 200, outcome: RequestOutcome(.revalidated), upstreamSeconds: 0.0105,
                totalSeconds: 0.011, bytes: 10
            ),
            json: #"{"time":"2025-03-01T12:04:05.125Z","method":"GET","path":"/backend/items?page=2","status":200,"#
                + #""cache":"revalidated","rule":"items","upstream":"backend","upstream_ms":10.500,"#
                + #""total_ms":11.000,"bytes":10}"#,
            logfmt: #"time=2025-03-01T12:04:05.125Z method=GET path="/backend/items?page=2" status=200 "#
                + "cache=revalidated rule=items upstream=backend upstream_ms=10.500 total_ms=11.000 bytes=10"
        ),
    ]

    @Test(arguments: Self.lineCases)
    func jsonLine(_ line: LineCase) {
        #expect(AccessLogLine(format: .json).text(for: line.record) == line.json)
    }

    @Test(arguments: Self.lineCases)
    func logfmtLine(_ line: LineCase) {
        #expect(AccessLogLine(format: .logfmt).text(for: line.record) == line.logfmt)
    }

    /// Every JSON line parses back to exactly the record's fields: the escaping is valid JSON and nothing is
    /// added.
    @Test(arguments: Self.lineCases)
    func jsonLineParsesBackToTheRecord(_ line: LineCase) throws {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.json.utf8)) as? [String: Any]
        )
        let record = line.record
        var expectedKeys: Set = ["time", "method", "path", "status", "cache", "rule", "upstream", "total_ms", "bytes"]
        if !record.detail.isEmpty {
            expectedKeys.insert("detail")
        }
        if record.upstreamSeconds != nil {
            expectedKeys.insert("upstream_ms")
        }
        #expect(Set(object.keys) == expectedKeys)
        #expect(object["path"] as? String == record.target)
        #expect(object["method"] as? String == record.method)
        #expect(object["rule"] as? String == record.rule)
        #expect(object["upstream"] as? String == record.upstream)
        #expect(object["cache"] as? String == record.phase.rawValue)
        #expect(object["status"] as? Int == record.status)
        #expect(object["bytes"] as? Int == record.bytes)
    }

    /// The router removed Gemini's `?key=` before the record was made; the line must not bring back anything
    /// of the request beyond the record (no header, no credential).
    @Test func geminiLineHoldsOnlyTheRecord() throws {
        let record = RequestRecord(
            start: Self.start, method: "POST", target: "/gemini/v1beta/models/gemini-2.0-flash:generateContent?alt=sse",
            rule: "gemini-generate", upstream: "gemini", status: 200, outcome: RequestOutcome(.miss), upstreamSeconds: 0.5,
            totalSeconds: 0.5, bytes: 100
        )
        for format in AccessLogFormat.allCases {
            let text = AccessLogLine(format: format).text(for: record)
            #expect(!text.contains("key"))
            #expect(!text.contains("AIza"))
            #expect(!text.lowercased().contains("authorization"))
        }
        let fields = AccessLogLine.fields(of: record)
        #expect(
            fields.map(\.key) == ["time", "method", "path", "status", "cache", "rule", "upstream", "upstream_ms",
                "total_ms", "bytes"]
        )
        #expect(fields.first(where: { $0.key == "path" })?.value == .string(record.target))
    }

    // MARK: - Time and durations

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_709_251_199.999, "2024-02-29T23:59:59.999Z"),
        (1_732_903_200.5, "2024-11-29T18:00:00.500Z"),
        (-0.5, "1969-12-31T23:59:59.500Z"),
    ])
    func timestamp(_ epochSeconds: Double, _ expected: String) {
        #expect(AccessLogLine.timestamp(epochSeconds) == expected)
    }

    @Test(arguments: [
        (0.0, "0.000"), (0.000052, "0.052"), (0.25, "250.000"), (12.3456789, "12345.679"), (-0.001, "0.000"),
        (Double.nan, "0.000"),
    ])
    func milliseconds(_ seconds: Double, _ expected: String) {
        #expect(AccessLogLine.milliseconds(seconds) == expected)
    }

    // MARK: - Destinations

    func temporaryFile() -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("reprise-access-\(UInt64.random(in: 0...UInt64.max)).log").path
    }

    @Test func fileDestinationAppendsOneLinePerRequest() async throws {
        let path = self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "earlier line\n".write(toFile: path, atomically: false, encoding: .utf8)
        let observer = try AccessLogObserver(settings: LogSettings(access: .file(path), format: .logfmt))
        let records = Self.lineCases.map(\.record)
        for record in records {
            observer.observe(record)
        }
        await observer.flush()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == (["earlier line"] + Self.lineCases.map(\.logfmt)).joined(separator: "\n") + "\n")
        #expect(observer.droppedLines == 0)
    }

    @Test func offWritesNothing() async throws {
        let observer = try AccessLogObserver(settings: LogSettings(access: .off))
        observer.observe(Self.lineCases[0].record)
        await observer.flush()
        #expect(observer.droppedLines == 0)
    }

    @Test func unopenableFileIsReportedWithItsPath() {
        #expect(throws: AccessLogError(path: "/nonexistent-reprise/a.log", reason: "No such file or directory")) {
            try AccessLogObserver(settings: LogSettings(access: .file("/nonexistent-reprise/a.log")))
        }
    }

    // MARK: - Writer queue

    /// A writer that has fallen behind drops and counts lines instead of blocking the event loop.
    @Test func fullQueueDropsAndCounts() async throws {
        let path = self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try AccessLogWriter(appendingTo: path, format: .json, capacity: 2)
        let observer = AccessLogObserver(writer: writer)
        writer.suspendForTesting()
        for _ in 0..<5 {
            observer.observe(Self.lineCases[0].record)
        }
        #expect(observer.droppedLines == 3)
        writer.resumeForTesting()
        await observer.flush()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == String(repeating: Self.lineCases[0].json + "\n", count: 2))
    }

    /// The JSON line's calendar arithmetic agrees with the C library's `gmtime_r` (which logfmt uses).
    @Test(arguments: [
        0.0, 0.999, -0.001, -86_400.5, 951_782_400.25 /* 2000-02-29 */, 951_868_799.999, 1_709_164_800 /* 2024-02-29 */,
        4_107_542_400 /* 2100-03-01 */, 1_740_830_645.125, 253_402_300_799.999 /* 9999-12-31T23:59:59 */, -2_208_988_800 /* 1900 */,
    ])
    func jsonTimestampsMatchTheCLibrary(_ epoch: Double) {
        var record = Self.lineCases[0].record
        record.start = epoch
        #expect(AccessLogLine.fastJSON(record).contains("\"time\":\"\(AccessLogLine.timestamp(epoch))\""))
    }

    /// A writer formats its lines with one timestamp cache: the same line as without it, within a second, across
    /// second boundaries and back.
    @Test func aSharedTimestampCacheChangesNoLine() {
        var cache = TimestampCache()
        let epochs: [Double] = [1_740_830_645.125, 1_740_830_645.999, 1_740_830_646.0, 1_740_830_645.5, -0.001, 0, 951_782_400.25]
        for epoch in epochs {
            var record = Self.lineCases[0].record
            record.start = epoch
            #expect(AccessLogLine.fastJSON(record, cache: &cache) == AccessLogLine.fastJSON(record))
        }
    }

    @Test func pendingRecordsScheduleOneDrainPerBatch() {
        var pending = PendingRecords(capacity: 2)
        let record = Self.lineCases[0].record
        #expect(pending.enqueue(record) == .scheduleDrain)
        #expect(pending.enqueue(record) == .none)
        #expect(pending.enqueue(record) == .dropped)
        #expect(pending.takeAll().single.count == 2)
        #expect(pending.enqueue(record) == .scheduleDrain)
        #expect(pending.dropped == 1)
    }
}
