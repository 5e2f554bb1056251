import Logging
import NIOCore

/// One event loop's share of the access log. Its requests' lines go through its own swift-log `Logger`, whose
/// handler appends them to a buffer that only this loop touches: no lock and no hand-over per request. The
/// buffer goes to the `AccessLogWriter` when it holds `batchBytes`, or `batchDelay` after its first line,
/// whichever comes first, so that a quiet proxy's lines still reach the file within a fraction of a second.
///
/// `@unchecked Sendable`: every method but `handOffSoon` runs on `eventLoop` (`observe` is called by the
/// loop's connections, the handler by `observe`, the timer on the loop), which `assertInEventLoop` checks in
/// debug builds; `handOffSoon` only submits work to the loop.
final class AccessLogLoopSink: RequestObserver, @unchecked Sendable {
    let eventLoop: EventLoop
    private let line: AccessLogLine
    private let writer: AccessLogWriter
    private var logger = Logger(label: "reprise.access", factory: { _ in SwiftLogNoOpLogHandler() })
    private var buffer: [UInt8] = []
    private var lines = 0
    private var handOffScheduled = false

    /// About 400 lines of a typical request.
    static let batchBytes = 64 * 1024
    static let batchDelay = TimeAmount.milliseconds(20)

    init(eventLoop: EventLoop, line: AccessLogLine, writer: AccessLogWriter) {
        self.eventLoop = eventLoop
        self.line = line
        self.writer = writer
        self.buffer.reserveCapacity(Self.batchBytes + 1024)
        self.logger = Logger(label: "reprise.access", factory: { [unowned self] _ in LoopBufferLogHandler(sink: self) })
    }

    /// On `eventLoop`: formats the request's line and logs it.
    func observe(_ record: RequestRecord) {
        self.eventLoop.assertInEventLoop()
        // An explicit source: swift-log would otherwise derive it from #fileID on every call.
        self.logger.info(Logger.Message(stringLiteral: self.line.text(for: record)), source: "reprise.access")
    }

    /// On `eventLoop`, from the log handler: one line into the buffer.
    fileprivate func append(_ text: String) {
        self.eventLoop.assertInEventLoop()
        var text = text
        text.withUTF8 { self.buffer.append(contentsOf: $0) }
        self.buffer.append(UInt8(ascii: "\n"))
        self.lines += 1
        if self.buffer.count >= Self.batchBytes {
            self.handOff()
        } else if !self.handOffScheduled {
            self.handOffScheduled = true
            self.eventLoop.scheduleTask(in: Self.batchDelay) {
                self.handOffScheduled = false
                self.handOff()
            }
        }
    }

    /// On `eventLoop`: gives the buffered lines to the writer.
    func handOff() {
        self.eventLoop.assertInEventLoop()
        guard self.lines > 0 else { return }
        self.writer.enqueue(batch: &self.buffer, lines: self.lines)
        self.lines = 0
        if self.buffer.capacity < Self.batchBytes { self.buffer.reserveCapacity(Self.batchBytes + 1024) }
    }

    /// From any thread: hands the buffered lines to the writer on the loop; the future completes when they are
    /// queued there.
    func handOffSoon() -> EventLoopFuture<Void> {
        self.eventLoop.submit { self.handOff() }
    }
}

/// The swift-log handler of one loop's access-log `Logger`: the message is already a complete line, so nothing
/// (level, label, metadata) is added to it.
private struct LoopBufferLogHandler: LogHandler {
    unowned let sink: AccessLogLoopSink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        self.sink.append(event.message.description)
    }
}
