import Dispatch
import Logging
import NIOConcurrencyHelpers
import ProxyConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats and writes the access log on one serial queue, so that an event loop's share of a request's line is
/// appending its record to a list. Records come in batches (an event loop's `AccessLogLoopSink` hands over
/// hundreds at a time) or one by one; each drain formats them (`AccessLogLine`), logs each line through its
/// swift-log `Logger`, whose handler collects the lines, and writes them with as few `write(2)` calls as it
/// takes. Enqueueing only appends under a lock: when `capacity` records are already waiting, new ones are
/// dropped and counted instead of blocking the caller.
final class AccessLogWriter: Sendable {
    private let descriptor: Int32
    /// Whether `deinit` closes the descriptor (a file it opened; not stdout).
    private let owned: Bool
    private let queue = DispatchQueue(label: "reprise.access-log")
    private let pending: NIOLockedValueBox<PendingRecords>
    private let line: AccessLogLine
    /// Only used on `queue`.
    private let output: AccessLogOutput
    private let logger: Logger

    static let defaultCapacity = 16_384

    init(descriptor: Int32, owned: Bool, format: AccessLogFormat, capacity: Int = AccessLogWriter.defaultCapacity) {
        self.descriptor = descriptor
        self.owned = owned
        self.pending = NIOLockedValueBox(PendingRecords(capacity: capacity))
        self.line = AccessLogLine(format: format)
        let output = AccessLogOutput()
        self.output = output
        self.logger = Logger(label: "reprise.access", factory: { _ in AccessLogHandler(output: output) })
    }

    /// Opens `path` once with O_APPEND (created 0644 if absent), so that every write lands at the end even when
    /// another process appends too, and a rotated-away file is not written over.
    convenience init(
        appendingTo path: String,
        format: AccessLogFormat,
        capacity: Int = AccessLogWriter.defaultCapacity
    ) throws(AccessLogError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw AccessLogError(path: path, reason: String(cString: strerror(errno)))
        }
        self.init(descriptor: descriptor, owned: true, format: format, capacity: capacity)
    }

    deinit {
        // Every scheduled drain holds `self`, so nothing is left to write here.
        if self.owned {
            close(self.descriptor)
        }
    }

    /// Queues one record, written a little later together with the ones that follow it: one wake-up of the
    /// writer per interval, not per request.
    func enqueue(_ record: RequestRecord) {
        let action = self.pending.withLockedValue { $0.enqueue(record) }
        if action == .scheduleDrain {
            self.queue.asyncAfter(deadline: .now() + Self.drainDelay) { self.drain() }
        }
    }

    /// Queues a batch of records and leaves `batch` empty (swapped for an empty list with capacity when there is
    /// one, so the caller's next batch needs no allocation). The batch already waited on its event loop, so it is
    /// written at once.
    func enqueue(batch: inout [RequestRecord]) {
        let action = self.pending.withLockedValue { $0.enqueue(batch: &batch) }
        if action == .scheduleDrain {
            self.queue.async { self.drain() }
        }
    }

    /// How long single records wait to be written together.
    static let drainDelay = DispatchTimeInterval.milliseconds(20)

    /// Waits until every record enqueued before the call has been written.
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

    /// On `queue`: formats the waiting records, one swift-log message each, and writes the lines in one go.
    private func drain() {
        var batch = self.pending.withLockedValue { $0.takeAll() }
        guard !batch.isEmpty else {
            return
        }
        for record in batch {
            // An explicit source: swift-log would otherwise derive it from #fileID on every call.
            let text = self.line.text(for: record, cache: &self.output.timestamps)
            self.logger.info(Logger.Message(stringLiteral: text), source: "reprise.access")
        }
        let written = self.output.bytes.withUnsafeBufferPointer { bytes in Self.writeFully(self.descriptor, bytes) }
        self.output.bytes.removeAll(keepingCapacity: true)
        let count = batch.count
        batch.removeAll(keepingCapacity: true)
        self.pending.withLockedValue { pending in
            if !written { pending.recordFailedWrite(lines: count) }
            // The written batch's memory is used again: no allocation per batch.
            pending.recycle(batch)
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

/// The lines one drain collects before it writes them.
///
/// `@unchecked Sendable`: only the writer's serial queue touches it (its logger is only called there).
final class AccessLogOutput: @unchecked Sendable {
    var bytes: [UInt8] = []
    var timestamps = TimestampCache()
}

/// The swift-log handler of the writer's `Logger`: each message is already a complete line, so nothing (level,
/// label, metadata) is added to it; it is appended to the drain's output.
struct AccessLogHandler: LogHandler {
    let output: AccessLogOutput
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var text = event.message.description
        text.withUTF8 { self.output.bytes.append(contentsOf: $0) }
        self.output.bytes.append(UInt8(ascii: "\n"))
    }
}

/// The writer's queue of records, decided under its lock: an enqueue says whether a drain must be scheduled.
struct PendingRecords {
    enum EnqueueAction: Equatable {
        /// No drain is scheduled yet: the caller schedules one.
        case scheduleDrain
        /// A scheduled drain will take the records.
        case none
        /// The queue is full: the records were counted in `dropped`.
        case dropped
    }

    let capacity: Int
    private(set) var records: [RequestRecord] = []
    private(set) var isDrainScheduled = false
    private(set) var dropped = 0
    /// Empty lists with capacity, from written batches.
    private var spares: [[RequestRecord]] = []

    static let maxSpares = 4

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func enqueue(_ record: RequestRecord) -> EnqueueAction {
        guard self.records.count < self.capacity else {
            self.dropped += 1
            return .dropped
        }
        self.records.append(record)
        return self.scheduleIfNeeded()
    }

    /// Takes a batch whole, or drops all of it when it would take the queue past `capacity`. `batch` is left
    /// empty: swapped for a spare list when there is one.
    mutating func enqueue(batch: inout [RequestRecord]) -> EnqueueAction {
        guard !batch.isEmpty else { return .none }
        guard self.records.count + batch.count <= self.capacity else {
            self.dropped += batch.count
            batch.removeAll(keepingCapacity: true)
            return .dropped
        }
        if self.records.isEmpty {
            // The usual case: the queue is empty, so the batch becomes it without a copy.
            swap(&self.records, &batch)
            batch.removeAll(keepingCapacity: true)
            if batch.capacity == 0, let spare = self.spares.popLast() { batch = spare }
        } else {
            self.records.append(contentsOf: batch)
            batch.removeAll(keepingCapacity: true)
        }
        return self.scheduleIfNeeded()
    }

    private mutating func scheduleIfNeeded() -> EnqueueAction {
        if self.isDrainScheduled {
            return .none
        }
        self.isDrainScheduled = true
        return .scheduleDrain
    }

    /// The records to write now; the next enqueue schedules a drain.
    mutating func takeAll() -> [RequestRecord] {
        let batch = self.records
        self.records = self.spares.popLast() ?? []
        self.isDrainScheduled = false
        return batch
    }

    /// Takes back a written (emptied) list for reuse.
    mutating func recycle(_ list: [RequestRecord]) {
        if self.records.isEmpty && self.records.capacity < list.capacity {
            self.records = list
        } else if self.spares.count < Self.maxSpares {
            self.spares.append(list)
        }
    }

    mutating func recordFailedWrite(lines: Int) {
        self.dropped += lines
    }
}
