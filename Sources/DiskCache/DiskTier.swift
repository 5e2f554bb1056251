import CacheStore
import HTTPCaching
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The persistent tier under memory: one file per response (`EntryFile`), an index in memory rebuilt from the files
/// at start, and a purge journal (`DiskJournal`). Every blocking call runs on the tier's own threads; an event loop
/// only takes the index lock (and appends a purge line).
///
/// Crash safety: a file is written under `tmp/`, then renamed into `entries/` once complete, and read back only
/// when its checksums hold; whatever a crash leaves half-done is either in `tmp/` (removed at start) or fails a
/// checksum (a miss, removed, counted). Entry files are not fsynced (README, Disk tier: after a power loss an entry of
/// the last seconds may be lost, never served torn); purge lines are.
public final class DiskTier: CacheTier, Sendable {
    public struct Options: Sendable {
        public var path: String
        /// Byte budget (files counted in whole 4 KiB blocks).
        public var budget: Int
        public var maxObject: Int
        /// Bodies up to this size are read into memory on a hit (and may be promoted there); larger ones stay in
        /// their file and are sent with `sendfile`.
        public var readIntoMemoryLimit: Int
        public var threads: Int
        /// Bodies waiting to be written, at most; past it a new entry is not written (counted as skipped).
        public var maxPendingWriteBytes: Int
        /// Entries whose body stays in its file kept open with their index record (hits answered without I/O).
        public var openFiles: Int
        /// False in tests that look at the tier while its index is not read yet: they call `startLoading()` themselves.
        var loadsAtStart = true

        public init(
            path: String,
            budget: Int,
            maxObject: Int,
            readIntoMemoryLimit: Int = 256 << 10,
            threads: Int = 2,
            maxPendingWriteBytes: Int = 256 << 20,
            openFiles: Int = 256
        ) {
            self.path = path
            self.budget = budget
            self.maxObject = maxObject
            self.readIntoMemoryLimit = readIntoMemoryLimit
            self.threads = threads
            self.maxPendingWriteBytes = maxPendingWriteBytes
            self.openFiles = openFiles
        }
    }

    public let name = "disk"
    public var maxObject: Int { self.options.maxObject }
    public let isShared = false

    let options: Options
    let layout: DiskLayout
    let pool: NIOThreadPool
    let journal: DiskJournal
    let state: NIOLockedValueBox<DiskState>
    let counters = DiskCounters()
    let logger: Logger
    let clock: @Sendable () -> Double
    private let lockDescriptor: CInt
    /// Set when the tier stops: the start-up scan ends early.
    let stopping = Atomic<Bool>(false)

    /// Opens (or creates) the directory, takes its lock, reads the purge journal and reserves sequence numbers, then
    /// starts reading the index in the background: lookups miss (and the request goes upstream) until it is complete.
    /// Throws when the directory cannot be used (another process holds it, it cannot be written).
    public init(
        options: Options,
        compile: @escaping PathPatternCompiler,
        clock: @escaping @Sendable () -> Double,
        logger: Logger
    ) throws(DiskError) {
        self.options = options
        self.layout = DiskLayout(root: options.path)
        self.logger = logger
        self.clock = clock
        try Syscalls.makeDirectories(self.layout.root)
        try Syscalls.makeDirectories(self.layout.temporary)
        for directory in self.layout.entryDirectories { try Syscalls.makeDirectories(directory) }
        guard let lock = try Syscalls.lock(self.layout.lock) else {
            throw DiskError(kind: .corrupt("another process uses \(options.path) (its lock file is held)"), operation: "lock")
        }
        self.lockDescriptor = lock
        let next = SequenceReservation.read(self.layout.sequence) ?? UInt64(clock() * 1_000_000)
        var state = DiskState(sequence: SequenceReservation(next: next, reservedUpTo: next))
        state.index.openLimit = options.openFiles
        let recorded = DiskJournal.read(self.layout.journal)
        state.loadingPurges = recorded.compactMap { record in
            if record.purge.selector == .all { return DiskState.PurgeRecord(sequence: record.sequence, selector: nil) }
            return PurgeSelector(record.purge, compile: compile).map { DiskState.PurgeRecord(sequence: record.sequence, selector: $0) }
        }
        state.journalRecords = recorded
        state.firstSequence = next
        self.state = NIOLockedValueBox(state)
        self.journal = try DiskJournal(path: self.layout.journal)
        self.pool = NIOThreadPool(numberOfThreads: max(1, options.threads))
        self.pool.start()
        // Reserve the first block now, so that a crash right after start cannot hand out these numbers again.
        let reserved = self.state.withLockedValue { state in
            Result { () throws(DiskError) in try state.sequence.reserve(layout: self.layout) }
        }
        try reserved.get()
        if options.loadsAtStart { self.startLoading() }
    }

    // MARK: - Lookups

    public func lookup(_ request: TierRequest, on eventLoop: EventLoop) -> TierLookupResult {
        let keyHash = DiskHashing.hash(request.key)
        let (record, sawKey, loading) = self.state.withLockedValue { state -> (DiskIndex<GDSFPolicy>.Record?, Bool, Bool) in
            // Until the index is complete a lookup could find an older copy of an entry whose newer file is not read
            // yet: the request goes upstream instead of waiting.
            guard !state.loading else { return (nil, false, true) }
            let (record, sawKey) = state.index.lookup(keyHash: keyHash, now: request.now) { $0.matches(request.headers) }
            return (record, sawKey, false)
        }
        guard let record else {
            self.counters.misses.wrappingAdd(1, ordering: .relaxed)
            if loading { self.counters.missesWhileLoading.wrappingAdd(1, ordering: .relaxed) }
            return .answered(sawKey ? .varyMiss : .miss)
        }
        if let open = record.open {
            // Read and checked before, its file still open: no I/O (the frequency is the index's own).
            self.counters.hits.wrappingAdd(1, ordering: .relaxed)
            self.counters.openHits.wrappingAdd(1, ordering: .relaxed)
            return .answered(.hit(open.entry, EntryTraits(cost: open.cost, frequency: 1)))
        }
        let key = request.key
        return .later(
            TierLookupLater { answer in
                self.pool.submit { work in
                    guard work == .active else { return answer(.miss) }
                    answer(self.read(record, key: key))
                }
            }
        )
    }

    public func commitToken() -> Int? {
        Int(truncatingIfNeeded: self.state.withLockedValue { $0.lastPurge })
    }

    // MARK: - Statistics

    public var statistics: TierStatistics {
        let (entries, bytes, evictions, loading) = self.state.withLockedValue {
            ($0.index.count, $0.index.bytes, $0.index.evictions, $0.loading)
        }
        return TierStatistics(
            entries: entries,
            bytes: bytes,
            budget: self.options.budget,
            evictions: evictions,
            hits: self.counters.hits.load(ordering: .relaxed),
            misses: self.counters.misses.load(ordering: .relaxed),
            corrupt: self.counters.corrupt.load(ordering: .relaxed),
            ioErrors: self.counters.ioErrors.load(ordering: .relaxed),
            loading: loading,
            writes: self.counters.writes.load(ordering: .relaxed),
            writesSkipped: self.counters.writesSkipped.load(ordering: .relaxed)
        )
    }

    /// What the start-up scan did (nil while it runs).
    public var loadReport: LoadReport? { self.state.withLockedValue { $0.loadReport } }

    public struct LoadReport: Sendable, Equatable {
        public var entries: Int
        public var seconds: Double
        /// Files removed: expired, purged, superseded, or corrupt.
        public var removed: Int
    }

    /// Waits until the index is read, no write is under way and the files purges removed are gone (tests, and a
    /// benchmark that restarts). Gives up after `timeout`.
    public func settle(timeout: Duration = .seconds(30)) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let busy = self.state.withLockedValue { $0.loading || !$0.inFlight.isEmpty || $0.pendingRemovals > 0 }
            if !busy { return }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits (up to `timeout`) for the writes under way, then stops the tier's threads and releases the directory.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        // Once: the lock's descriptor must not be closed twice (the number may belong to another file by then).
        guard !self.stopping.exchange(true, ordering: .relaxed) else { return }
        let deadline = ContinuousClock.now + timeout
        while self.state.withLockedValue({ !$0.inFlight.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        self.journal.sync()
        try? await self.pool.shutdownGracefully()
        Syscalls.closeFile(self.lockDescriptor)
    }

    // MARK: - Errors

    /// Logs the first error of each kind (and every 1,000th after it), so that a full disk does not flood the log.
    func report(_ error: DiskError, _ what: String) {
        let count: Int
        if error.isCorruption {
            count = self.counters.corrupt.wrappingAdd(1, ordering: .relaxed).newValue
        } else {
            count = self.counters.ioErrors.wrappingAdd(1, ordering: .relaxed).newValue
        }
        if count == 1 || count % 1000 == 0 {
            self.logger.warning(
                "disk tier: \(what)",
                metadata: ["error": "\(error)", "count": "\(count)", "path": "\(self.options.path)"]
            )
        }
    }
}

/// Totals since start.
final class DiskCounters: Sendable {
    let hits = Atomic<Int>(0)
    /// Hits answered from an entry kept open (part of `hits`).
    let openHits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let missesWhileLoading = Atomic<Int>(0)
    let corrupt = Atomic<Int>(0)
    let ioErrors = Atomic<Int>(0)
    let writes = Atomic<Int>(0)
    /// Writes not made: too many bytes waiting, or a purge selected the entry while it was written.
    let writesSkipped = Atomic<Int>(0)
}

/// Everything behind the tier's lock.
struct DiskState: Sendable {
    struct PurgeRecord: Sendable {
        var sequence: UInt64
        /// nil: everything.
        var selector: PurgeSelector?
    }

    var index = DiskIndex<GDSFPolicy>()
    var sequence: SequenceReservation
    /// The last purges, for commit tokens and writes in flight (at most `recentLimit`).
    var recentPurges: [PurgeRecord] = []
    /// The newest purge dropped from `recentPurges`: a token or a write older than it cannot prove it missed nothing.
    var forgottenUpTo: UInt64 = 0
    /// The newest purge's sequence number (0: none since start).
    var lastPurge: UInt64 = 0
    /// While loading: every purge of the journal and since start, for the files not read yet.
    var loadingPurges: [PurgeRecord] = []
    /// The journal's records, kept for its rewrite.
    var journalRecords: [DiskJournal.Record] = []
    var loading = true
    /// Files written by this process have numbers from here on (the scan skips them).
    var firstSequence: UInt64 = 0
    /// Writes between their number and their index insertion.
    var inFlight: Set<UInt64> = []
    /// Bytes reserved by writes in flight (counted against the budget).
    var reserved = 0
    /// Body bytes waiting to be written.
    var pendingWriteBytes = 0
    /// Purge file removals not done yet (the journal keeps their purges until then).
    var pendingRemovals = 0
    var loadReport: DiskTier.LoadReport?

    static let recentLimit = 1024

    mutating func recordPurge(_ record: PurgeRecord) {
        self.recentPurges.append(record)
        self.lastPurge = max(self.lastPurge, record.sequence)
        if self.recentPurges.count > Self.recentLimit {
            let dropped = self.recentPurges.removeFirst()
            self.forgottenUpTo = max(self.forgottenUpTo, dropped.sequence)
        }
        if self.loading { self.loadingPurges.append(record) }
    }

    /// Whether a purge after `sequence` selects what `matches` describes (true too when it cannot be proven that
    /// none does).
    func purgedAfter(_ sequence: UInt64, _ matches: (PurgeSelector) -> Bool) -> Bool {
        if self.forgottenUpTo > sequence { return true }
        for record in self.recentPurges.reversed() {
            guard record.sequence > sequence else { break }
            guard let selector = record.selector else { return true }
            if matches(selector) { return true }
        }
        return false
    }
}

/// Sequence numbers (file names, purge order), never reused across restarts: handed out from blocks reserved in the
/// `sequence` file before any number of the block is used.
struct SequenceReservation: Sendable {
    var next: UInt64
    var reservedUpTo: UInt64

    static let block: UInt64 = 1 << 20

    static func read(_ path: String) -> UInt64? {
        guard let descriptor = try? Syscalls.openFile(path, O_RDONLY) else { return nil }
        defer { Syscalls.closeFile(descriptor) }
        guard let size = try? Syscalls.size(descriptor), size > 0, size < 64,
            let bytes = try? Syscalls.readBytes(descriptor, at: 0, count: size)
        else { return nil }
        let text = String(buffer: bytes).trimmingSuffix("\n")
        guard text.hasPrefix("next "), let value = UInt64(text.dropFirst(5)) else { return nil }
        return value
    }

    mutating func take(layout: DiskLayout) throws(DiskError) -> UInt64 {
        if self.next >= self.reservedUpTo { try self.reserve(layout: layout) }
        defer { self.next += 1 }
        return self.next
    }

    /// Writes the end of a new block to the `sequence` file (synced, renamed into place) before using it.
    mutating func reserve(layout: DiskLayout) throws(DiskError) {
        let end = self.next + Self.block
        let temporary = layout.sequence + ".new"
        let descriptor = try Syscalls.openFile(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do throws(DiskError) {
            try Syscalls.writeAll(descriptor, ByteBuffer(string: "next \(end)\n"))
            try Syscalls.sync(descriptor)
            Syscalls.closeFile(descriptor)
            try Syscalls.renameFile(temporary, layout.sequence)
        } catch {
            Syscalls.closeFile(descriptor)
            throw error
        }
        self.reservedUpTo = end
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        self.hasSuffix(suffix) ? String(self.dropLast(suffix.count)) : self
    }
}
