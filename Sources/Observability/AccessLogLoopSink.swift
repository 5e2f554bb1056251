import NIOCore

/// One event loop's share of the access log: the records of its requests, kept in a list only this loop
/// touches (no lock per request), handed to the `AccessLogWriter` — which formats and logs them off the event
/// loop — when it holds `batchRecords`, or `batchDelay` after its first record, whichever comes first. Written
/// batches come back to be released here.
///
/// `@unchecked Sendable`: every method but `handOffSoon` and `giveBack` runs on `eventLoop` (`observe` is
/// called by the loop's connections, the timer on the loop), which `assertInEventLoop` checks in debug builds;
/// those two only submit work to the loop.
public final class AccessLogLoopSink: RequestObserver, @unchecked Sendable {
    public let eventLoop: EventLoop
    private let writer: AccessLogWriter
    private var records: [RequestRecord] = []
    /// Written batches given back, emptied here, for the next batches.
    private var spares: [[RequestRecord]] = []
    private var handOffScheduled = false

    public static let batchRecords = 512
    public static let batchDelay = TimeAmount.milliseconds(20)

    public init(eventLoop: EventLoop, writer: AccessLogWriter) {
        self.eventLoop = eventLoop
        self.writer = writer
        self.records.reserveCapacity(Self.batchRecords)
    }

    /// On `eventLoop`: keeps the request's record for the writer.
    public func observe(_ record: RequestRecord) {
        self.eventLoop.assertInEventLoop()
        self.records.append(record)
        if self.records.count >= Self.batchRecords {
            self.handOff()
        } else if !self.handOffScheduled {
            self.handOffScheduled = true
            self.eventLoop.scheduleTask(in: Self.batchDelay) {
                self.handOffScheduled = false
                self.handOff()
            }
        }
    }

    /// On `eventLoop`: gives the kept records to the writer.
    public func handOff() {
        self.eventLoop.assertInEventLoop()
        guard !self.records.isEmpty else { return }
        let batch = self.records
        self.records = self.spares.popLast() ?? []
        if self.records.capacity < Self.batchRecords { self.records.reserveCapacity(Self.batchRecords) }
        self.writer.enqueue(batch: batch, from: self)
    }

    /// From the writer, once a batch is written: the records are released on this loop, which allocated what
    /// they hold.
    public func giveBack(_ batch: [RequestRecord]) {
        self.eventLoop.execute {
            var batch = batch
            batch.removeAll(keepingCapacity: true)
            if self.spares.count < 2 { self.spares.append(batch) }
        }
    }

    /// From any thread: hands the kept records to the writer on the loop; the future completes when they are
    /// queued there.
    public func handOffSoon() -> EventLoopFuture<Void> {
        self.eventLoop.submit { self.handOff() }
    }
}
