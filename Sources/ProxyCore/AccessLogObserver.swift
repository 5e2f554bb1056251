import Logging
import NIOCore
import ProxyConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The access log: one line per finished request (`AccessLogLine`), logged through swift-log. Each event loop
/// has its own `AccessLogLoopSink` (its own `Logger` and line buffer), found once per connection through
/// `observer(on:)`; the sinks hand their lines in batches to one background `AccessLogWriter`. A request's cost
/// is formatting its line and appending it to its loop's buffer: it never waits for a lock, the disk or the
/// terminal.
final class AccessLogObserver: RequestObserver {
    private let line: AccessLogLine
    /// For records observed off the known event loops (tests): one line at a time, through the writer's lock.
    private let logger: Logger
    private let writer: AccessLogWriter?
    /// One sink per event loop of the group, built once: read without a lock.
    private let sinks: [ObjectIdentifier: AccessLogLoopSink]

    /// Opens the destination: stdout, or the file (created if needed, opened once for appending). `.off` makes
    /// an observer that writes nothing. `group`: the event loops whose connections report requests.
    convenience init(settings: LogSettings, group: EventLoopGroup? = nil) throws(AccessLogError) {
        switch settings.access {
        case .off:
            self.init(format: settings.format, writer: nil, group: group)
        case .stdout:
            self.init(
                format: settings.format,
                writer: AccessLogWriter(descriptor: STDOUT_FILENO, owned: false),
                group: group
            )
        case .file(let path):
            self.init(format: settings.format, writer: try AccessLogWriter(appendingTo: path), group: group)
        }
    }

    init(format: AccessLogFormat, writer: AccessLogWriter?, group: EventLoopGroup? = nil) {
        let line = AccessLogLine(format: format)
        self.line = line
        self.writer = writer
        var sinks: [ObjectIdentifier: AccessLogLoopSink] = [:]
        if let writer {
            self.logger = Logger(label: "reprise.access", factory: { _ in AccessLogHandler(writer: writer) })
            if let group {
                for loop in group.makeIterator() {
                    sinks[ObjectIdentifier(loop)] = AccessLogLoopSink(eventLoop: loop, line: line, writer: writer)
                }
            }
        } else {
            self.logger = Logger(label: "reprise.access", factory: { _ in SwiftLogNoOpLogHandler() })
        }
        self.sinks = sinks
    }

    /// The loop's own sink (no lock per request), or this observer for a loop outside the group.
    func observer(on eventLoop: EventLoop) -> RequestObserver {
        self.sinks[ObjectIdentifier(eventLoop)] ?? self
    }

    func observe(_ record: RequestRecord) {
        guard self.writer != nil else {
            return
        }
        // An explicit source: swift-log would otherwise derive it from #fileID on every call.
        self.logger.info(Logger.Message(stringLiteral: self.line.text(for: record)), source: "reprise.access")
    }

    /// Waits until every line observed so far has been written (tests, shutdown). Must not be called on one of
    /// the group's event loops.
    func flush() {
        for sink in self.sinks.values {
            try? sink.handOffSoon().wait()
        }
        self.writer?.flush()
    }

    /// `flush()` for async callers (graceful shutdown).
    func flush() async {
        for sink in self.sinks.values {
            try? await sink.handOffSoon().get()
        }
        self.writer?.flush()
    }

    /// Lines lost because the writer fell behind by more than its capacity, or because a write failed.
    var droppedLines: Int {
        self.writer?.droppedLines ?? 0
    }
}

/// Why the access log could not be opened; `description` names the path and the system's reason.
struct AccessLogError: Error, Equatable, CustomStringConvertible {
    var path: String
    var reason: String

    var description: String {
        "cannot open the access log \"\(self.path)\" for appending: \(self.reason)."
    }
}

// MARK: - Log handler

/// Prints each message as it is, a line of its own: no level, label or metadata is added, since the message is
/// already a complete access-log line.
struct AccessLogHandler: LogHandler {
    let writer: AccessLogWriter
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        self.writer.enqueue(event.message.description)
    }
}
