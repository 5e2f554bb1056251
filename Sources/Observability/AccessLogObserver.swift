import NIOCore
import ProxyConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The access log: one line per finished request (`AccessLogLine`), logged through swift-log. Each event loop
/// has its own `AccessLogLoopSink`, found once per connection through `observer(on:)`, which keeps its requests'
/// records and hands them in batches to one background `AccessLogWriter`; the writer formats them and logs each
/// line through its swift-log `Logger`. A request's cost on its event loop is appending its record to a list: it
/// never waits for a lock, the formatting, the disk or the terminal.
public final class AccessLogObserver: RequestObserver {
    private let writer: AccessLogWriter?
    /// One sink per event loop of the group, built once: read without a lock.
    private let sinks: [ObjectIdentifier: AccessLogLoopSink]

    /// Opens the destination: stdout, or the file (created if needed, opened once for appending). `.off` makes
    /// an observer that writes nothing. `group`: the event loops whose connections report requests.
    public convenience init(settings: LogSettings, group: EventLoopGroup? = nil) throws(AccessLogError) {
        switch settings.access {
        case .off:
            self.init(writer: nil, group: group)
        case .stdout:
            self.init(writer: AccessLogWriter(descriptor: STDOUT_FILENO, owned: false, format: settings.format), group: group)
        case .file(let path):
            self.init(writer: try AccessLogWriter(appendingTo: path, format: settings.format), group: group)
        }
    }

    public init(writer: AccessLogWriter?, group: EventLoopGroup? = nil) {
        self.writer = writer
        var sinks: [ObjectIdentifier: AccessLogLoopSink] = [:]
        if let writer, let group {
            for loop in group.makeIterator() {
                sinks[ObjectIdentifier(loop)] = AccessLogLoopSink(eventLoop: loop, writer: writer)
            }
        }
        self.sinks = sinks
    }

    /// The loop's own sink (no lock per request), or this observer for a loop outside the group.
    public func observer(on eventLoop: EventLoop) -> RequestObserver {
        self.sinks[ObjectIdentifier(eventLoop)] ?? self
    }

    /// For records observed off the group's event loops (tests): one at a time, through the writer's lock.
    public func observe(_ record: RequestRecord) {
        self.writer?.enqueue(record)
    }

    /// Waits until every line observed so far has been written (tests, graceful shutdown).
    public func flush() async {
        for sink in self.sinks.values {
            try? await sink.handOffSoon().get()
        }
        self.writer?.flush()
    }

    /// Lines lost because the writer fell behind by more than its capacity, or because a write failed.
    public var droppedLines: Int {
        self.writer?.droppedLines ?? 0
    }
}

/// Why the access log could not be opened; `description` names the path and the system's reason.
public struct AccessLogError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String {
        "cannot open the access log \"\(self.path)\" for appending: \(self.reason)."
    }
}
