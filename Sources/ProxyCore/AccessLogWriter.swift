import Dispatch
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes access-log lines to a file descriptor on one serial queue, so that no event loop ever waits for the
/// disk or the terminal. Lines come in batches (an event loop's `AccessLogLoopSink` hands over tens of kilobytes
/// at a time) or one by one; each drain writes whatever piled up with as few `write(2)` calls as it takes.
/// Enqueueing only appends under a lock: when `capacity` lines are already waiting, new lines are dropped and
/// counted instead of blocking the caller.
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

    /// Queues one line (a newline is added), written a little later together with the lines that follow it:
    /// one wake-up of the writer per interval, not per line.
    func enqueue(_ line: String) {
        let action = self.pending.withLockedValue { $0.enqueue(line) }
        if action == .scheduleDrain {
            self.queue.asyncAfter(deadline: .now() + Self.drainDelay) { self.drain() }
        }
    }

    /// Queues a batch of newline-terminated lines and leaves `batch` empty (usually swapped for an empty buffer
    /// with capacity, so the caller's next batch needs no allocation). The batch already waited on its event
    /// loop, so it is written at once.
    func enqueue(batch: inout [UInt8], lines: Int) {
        let action = self.pending.withLockedValue { $0.enqueue(batch: &batch, lines: lines) }
        if action == .scheduleDrain {
            self.queue.async { self.drain() }
        }
    }

    /// How long single lines wait to be written together.
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
            // The written batch's memory is used again: no fresh pages to fault in per batch.
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

/// The writer's queue of lines, decided under its lock: an enqueue says whether a drain must be scheduled.
struct PendingLines {
    enum EnqueueAction: Equatable {
        /// No drain is scheduled yet: the caller schedules one.
        case scheduleDrain
        /// A scheduled drain will take the lines.
        case none
        /// The queue is full: the lines were counted in `dropped`.
        case dropped
    }

    let capacity: Int
    /// The waiting lines, each followed by a newline: appended in place, written as they are.
    private(set) var bytes: [UInt8] = []
    private(set) var lines = 0
    private(set) var isDrainScheduled = false
    private(set) var dropped = 0
    /// Empty buffers with capacity, from written batches: the next ones fill them.
    private var spares: [[UInt8]] = []

    static let maxSpares = 4

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
        return self.scheduleIfNeeded()
    }

    /// Takes a batch of `lines` newline-terminated lines whole, or drops all of them when they would take the
    /// queue past `capacity`. `batch` is left empty: swapped for a spare buffer when there is one.
    mutating func enqueue(batch: inout [UInt8], lines: Int) -> EnqueueAction {
        guard lines > 0 else { return .none }
        guard self.lines + lines <= self.capacity else {
            self.dropped += lines
            batch.removeAll(keepingCapacity: true)
            return .dropped
        }
        if self.bytes.isEmpty {
            // The usual case: the queue is empty, so the batch becomes it without a copy.
            swap(&self.bytes, &batch)
            batch.removeAll(keepingCapacity: true)
            if batch.capacity == 0, let spare = self.spares.popLast() { batch = spare }
        } else {
            self.bytes.append(contentsOf: batch)
            batch.removeAll(keepingCapacity: true)
        }
        self.lines += lines
        return self.scheduleIfNeeded()
    }

    private mutating func scheduleIfNeeded() -> EnqueueAction {
        if self.isDrainScheduled {
            return .none
        }
        self.isDrainScheduled = true
        return .scheduleDrain
    }

    /// The lines to write now (newline-terminated) and how many they are; the next enqueue schedules a drain.
    mutating func takeAll() -> (bytes: [UInt8], lines: Int) {
        let batch = (self.bytes, self.lines)
        self.bytes = self.spares.popLast() ?? []
        self.lines = 0
        self.isDrainScheduled = false
        return batch
    }

    /// Takes back a written (emptied) batch buffer for reuse.
    mutating func recycle(_ buffer: [UInt8]) {
        if self.bytes.isEmpty && self.bytes.capacity < buffer.capacity {
            self.bytes = buffer
        } else if self.spares.count < Self.maxSpares {
            self.spares.append(buffer)
        }
    }

    mutating func recordFailedWrite(lines: Int) {
        self.dropped += lines
    }
}
