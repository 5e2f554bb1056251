import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProxyConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Formats and writes the access log on a thread of its own, so that an event loop's share of a request's line is
/// appending its record to a list. Records come in batches (an event loop's `AccessLogLoopSink` hands over
/// hundreds at a time) or one by one; each drain formats them (`AccessLogLine`), logs each line through its
/// swift-log `Logger`, whose handler collects the lines, and writes them with as few `write(2)` calls as it
/// takes. Enqueueing only appends under a lock: when `capacity` records are already waiting, new ones are
/// dropped and counted instead of blocking the caller.
public final class AccessLogWriter: Sendable {
    private let descriptor: Int32
    /// Whether `deinit` closes the descriptor (a file it opened; not stdout).
    private let owned: Bool
    /// Every writer drains on one thread of its own: a NIO event loop sleeps in `epoll_wait` between batches
    /// (Dispatch's worker threads spun on the event loops' core, several percent of a hit).
    private let loop: EventLoop = AccessLogWriter.ioLoop
    /// The access log's I/O thread, for the life of the process (like NIO's singleton group).
    public static let ioLoop: EventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()
    private let pending: NIOLockedValueBox<PendingRecords>
    private let line: AccessLogLine
    /// Only used on `queue`.
    private let output: AccessLogOutput
    private let logger: Logger

    public static let defaultCapacity = 16_384

    public init(descriptor: Int32, owned: Bool, format: AccessLogFormat, capacity: Int = AccessLogWriter.defaultCapacity) {
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
    public convenience init(
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
    public func enqueue(_ record: RequestRecord) {
        let action = self.pending.withLockedValue { $0.enqueue(record) }
        if action == .scheduleDrain {
            self.loop.scheduleTask(in: Self.drainDelay) { self.drain() }
        }
    }

    /// Queues a loop's batch of records. The batch already waited on its event loop, so it is written at once;
    /// then it goes back to `sink`, whose loop releases it: the memory its records hold (a request's target) was
    /// allocated on that loop and is freed there too (freeing it on the writer's thread instead costs the loop
    /// its allocator's fast path, several percent of a hit).
    public func enqueue(batch: [RequestRecord], from sink: AccessLogLoopSink) {
        let action = self.pending.withLockedValue { $0.enqueue(batch: batch, from: sink) }
        if action == .scheduleDrain {
            self.loop.execute { self.drain() }
        }
    }

    /// How long single records wait to be written together.
    public static let drainDelay = TimeAmount.milliseconds(20)

    /// Waits until every record enqueued before the call has been written.
    public func flush() {
        if self.loop.inEventLoop {
            self.drain()
        } else {
            try? self.loop.submit { self.drain() }.wait()
        }
    }

    public var droppedLines: Int {
        self.pending.withLockedValue { $0.dropped }
    }

    /// Holds and releases the writing thread, so that tests can fill the queue deterministically.
    public func suspendForTesting() {
        let semaphore = self.testingHold
        self.loop.execute { semaphore.wait() }
    }

    public func resumeForTesting() {
        self.testingHold.signal()
    }

    private let testingHold = DispatchSemaphore(value: 0)

    /// On `loop`: formats the waiting records, one swift-log message each, and writes the lines in one go.
    private func drain() {
        let work = self.pending.withLockedValue { $0.takeAll() }
        guard !work.isEmpty else {
            return
        }
        for record in work.single {
            self.log(record)
        }
        for batch in work.batches {
            for record in batch.records {
                self.log(record)
            }
        }
        let written = self.output.bytes.withUnsafeBufferPointer { bytes in Self.writeFully(self.descriptor, bytes) }
        self.output.bytes.removeAll(keepingCapacity: true)
        if !written {
            self.pending.withLockedValue { $0.recordFailedWrite(lines: work.count) }
        }
        for batch in work.batches {
            batch.sink.giveBack(batch.records)
        }
    }

    private func log(_ record: RequestRecord) {
        let text = self.line.text(for: record, cache: &self.output.timestamps)
        // An explicit source: swift-log would otherwise derive it from #fileID on every call.
        self.logger.info(Logger.Message(stringLiteral: text), source: "reprise.access")
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
/// `@unchecked Sendable`: only the writer's thread touches it (its logger is only called there).
public final class AccessLogOutput: @unchecked Sendable {
    public var bytes: [UInt8] = []
    public var timestamps = TimestampCache()
}

/// The swift-log handler of the writer's `Logger`: each message is already a complete line, so nothing (level,
/// label, metadata) is added to it; it is appended to the drain's output.
public struct AccessLogHandler: LogHandler {
    public let output: AccessLogOutput
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var text = event.message.description
        text.withUTF8 { self.output.bytes.append(contentsOf: $0) }
        self.output.bytes.append(UInt8(ascii: "\n"))
    }
}

/// The writer's queue of records, decided under its lock: an enqueue says whether a drain must be scheduled.
public struct PendingRecords {
    public enum EnqueueAction: Equatable {
        /// No drain is scheduled yet: the caller schedules one.
        case scheduleDrain
        /// A scheduled drain will take the records.
        case none
        /// The queue is full: the records were counted in `dropped`.
        case dropped
    }

    /// What one drain takes: single records, and loops' batches (each goes back to its loop once written).
    public struct Work {
        public var single: [RequestRecord] = []
        public var batches: [(sink: AccessLogLoopSink, records: [RequestRecord])] = []
        public var count = 0
        public var isEmpty: Bool { self.count == 0 }
    }

    public let capacity: Int
    private(set) var work = Work()
    private(set) var isDrainScheduled = false
    private(set) var dropped = 0

    public init(capacity: Int) {
        self.capacity = capacity
    }

    public mutating func enqueue(_ record: RequestRecord) -> EnqueueAction {
        guard self.work.count < self.capacity else {
            self.dropped += 1
            return .dropped
        }
        self.work.single.append(record)
        self.work.count += 1
        return self.scheduleIfNeeded()
    }

    /// Takes a batch whole, or drops all of it when it would take the queue past `capacity` (a dropped batch goes
    /// back to its loop at once).
    public mutating func enqueue(batch: [RequestRecord], from sink: AccessLogLoopSink) -> EnqueueAction {
        guard !batch.isEmpty else { return .none }
        guard self.work.count + batch.count <= self.capacity else {
            self.dropped += batch.count
            sink.giveBack(batch)
            return .dropped
        }
        self.work.batches.append((sink, batch))
        self.work.count += batch.count
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
    public mutating func takeAll() -> Work {
        let work = self.work
        self.work = Work()
        self.isDrainScheduled = false
        return work
    }

    public mutating func recordFailedWrite(lines: Int) {
        self.dropped += lines
    }
}
