import Dispatch
import Logging
import NIOConcurrencyHelpers
import ProxyConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The access log: one line per finished request (`AccessLogLine`), logged through a swift-log `Logger` whose
/// handler hands it to a background `AccessLogWriter`. `observe` formats and enqueues, nothing more: it never
/// waits for the disk or the terminal.
final class AccessLogObserver: RequestObserver {
    private let line: AccessLogLine
    private let logger: Logger
    private let writer: AccessLogWriter?

    /// Opens the destination: stdout, or the file (created if needed, opened once for appending). `.off` makes
    /// an observer that writes nothing.
    convenience init(settings: LogSettings) throws(AccessLogError) {
        switch settings.access {
        case .off:
            self.init(format: settings.format, writer: nil)
        case .stdout:
            self.init(format: settings.format, writer: AccessLogWriter(descriptor: STDOUT_FILENO, owned: false))
        case .file(let path):
            self.init(format: settings.format, writer: try AccessLogWriter(appendingTo: path))
        }
    }

    init(format: AccessLogFormat, writer: AccessLogWriter?) {
        self.line = AccessLogLine(format: format)
        self.writer = writer
        if let writer {
            self.logger = Logger(label: "reprise.access", factory: { _ in AccessLogHandler(writer: writer) })
        } else {
            self.logger = Logger(label: "reprise.access", factory: { _ in SwiftLogNoOpLogHandler() })
        }
    }

    func observe(_ record: RequestRecord) {
        guard self.writer != nil else {
            return
        }
        // An explicit source: swift-log would otherwise derive it from #fileID on every call.
        self.logger.info(Logger.Message(stringLiteral: self.line.text(for: record)), source: "reprise.access")
    }

    /// Waits until every line observed so far has been written (tests, shutdown).
    func flush() {
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

// MARK: - Background writer

/// Writes lines to a file descriptor on one serial queue, each batch (whatever piled up since the last one) with
/// as few `write(2)` calls as it takes. `enqueue` only appends under a lock: when `capacity` lines are already
/// waiting, the line is dropped and counted instead of blocking the caller.
final class AccessLogWriter: Sendable {
    private let descriptor: Int32
    /// Whether `deinit` closes the descriptor (a file it opened; not stdout).
    private let owned: Bool
    private let queue = DispatchQueue(label: "reprise.access-log")
    private let pending: NIOLockedValueBox<PendingLines>

    static let defaultCapacity = 16_384

    init(descriptor: Int32, owned: Bool, capacity: Int = AccessLogWriter.defaultCapacity) {
        self.descriptor = descriptor
        self.owned = owned
        self.pending = NIOLockedValueBox(PendingLines(capacity: capacity))
    }

    /// Opens `path` once with O_APPEND (created 0644 if absent), so that every write lands at the end even when
    /// another process appends too, and a rotated-away file is not written over.
    convenience init(appendingTo path: String, capacity: Int = AccessLogWriter.defaultCapacity) throws(AccessLogError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw AccessLogError(path: path, reason: String(cString: strerror(errno)))
        }
        self.init(descriptor: descriptor, owned: true, capacity: capacity)
    }

    deinit {
        // Every scheduled drain holds `self`, so nothing is left to write here.
        if self.owned {
            close(self.descriptor)
        }
    }

    /// Queues one line (a newline is added). Never blocks beyond a short lock.
    func enqueue(_ line: String) {
        let action = self.pending.withLockedValue { $0.enqueue(line) }
        if action == .scheduleDrain {
            // Drained a little later, in one batch: one wake-up of the writer per interval, not per request
            // (a wake-up per request costs the event loop a context switch when they share a core).
            self.queue.asyncAfter(deadline: .now() + Self.drainDelay) { self.drain() }
        }
    }

    /// How long lines wait to be written together.
    static let drainDelay = DispatchTimeInterval.milliseconds(20)

    /// Waits until every line enqueued before the call has been written.
    func flush() {
        self.queue.sync { self.drain() }
    }

    var droppedLines: Int {
        self.pending.withLockedValue { $0.dropped }
    }

    /// Stops and restarts the writing queue, so that tests can fill the buffer deterministically.
    func suspendForTesting() {
        self.queue.suspend()
    }

    func resumeForTesting() {
        self.queue.resume()
    }

    /// On `queue`: takes the waiting lines and writes them in one batch.
    private func drain() {
        let batch = self.pending.withLockedValue { $0.takeAll() }
        guard batch.lines > 0 else {
            return
        }
        let written = batch.bytes.withUnsafeBufferPointer { bytes in Self.writeFully(self.descriptor, bytes) }
        var buffer = batch.bytes
        buffer.removeAll(keepingCapacity: true)
        self.pending.withLockedValue { pending in
            if !written { pending.recordFailedWrite(lines: batch.lines) }
            // The written batch's memory becomes the next spare buffer: no fresh pages to fault in per batch.
            pending.recycle(buffer)
        }
    }

    /// `write(2)` until everything is out, retrying on EINTR and partial writes; false on any other error.
    private static func writeFully(_ descriptor: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard var next = bytes.baseAddress else {
            return true
        }
        var remaining = bytes.count
        while remaining > 0 {
            let count = write(descriptor, next, remaining)
            if count < 0 {
                if errno == EINTR {
                    continue
                }
                return false
            }
            next += count
            remaining -= count
        }
        return true
    }
}

/// The writer's queue of lines, decided under its lock: `enqueue` says whether a drain must be scheduled.
struct PendingLines {
    enum EnqueueAction: Equatable {
        /// No drain is scheduled yet: the caller schedules one.
        case scheduleDrain
        /// A scheduled drain will take the line.
        case none
        /// The queue is full: the line was counted in `dropped`.
        case dropped
    }

    let capacity: Int
    /// The waiting lines, each followed by a newline: appended in place, written as they are.
    private(set) var bytes: [UInt8] = []
    private(set) var lines = 0
    private(set) var isDrainScheduled = false
    private(set) var dropped = 0
    /// An empty buffer with capacity, from the last written batch: the next one fills it.
    private var spare: [UInt8] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func enqueue(_ line: String) -> EnqueueAction {
        guard self.lines < self.capacity else {
            self.dropped += 1
            return .dropped
        }
        var line = line
        line.withUTF8 { self.bytes.append(contentsOf: $0) }
        self.bytes.append(UInt8(ascii: "\n"))
        self.lines += 1
        if self.isDrainScheduled {
            return .none
        }
        self.isDrainScheduled = true
        return .scheduleDrain
    }

    /// The lines to write now (newline-terminated) and how many they are; the next `enqueue` schedules a drain.
    mutating func takeAll() -> (bytes: [UInt8], lines: Int) {
        let batch = (self.bytes, self.lines)
        self.bytes = self.spare
        self.spare = []
        self.lines = 0
        self.isDrainScheduled = false
        return batch
    }

    /// Takes back a written (emptied) batch buffer for reuse.
    mutating func recycle(_ buffer: [UInt8]) {
        if self.bytes.isEmpty && self.bytes.capacity < buffer.capacity {
            self.bytes = buffer
        } else {
            self.spare = buffer
        }
    }

    mutating func recordFailedWrite(lines: Int) {
        self.dropped += lines
    }
}
