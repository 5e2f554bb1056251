import HTTPCaching
import NIOCore
import NIOHTTP1

/// A tier of the cache: memory, disk, the fleet's Redis. `TieredStore` asks them in order and owns what crosses
/// between them (promotion, the purge journal that guards commits); a tier only keeps entries.
public protocol CacheTier: AnyObject, Sendable {
    /// How `Cache-Status`, `/stats` and the metrics name it: "memory", "disk", "l2".
    var name: String { get }
    /// The largest body it takes.
    var maxObject: Int { get }
    /// Whether other instances share it (purges that came from another instance were applied to it already).
    var isShared: Bool { get }

    /// Looks the request's key up. `.answered` when the tier knows at once (an index in memory says there is
    /// nothing; a memory hit); `.pending` when it must read (disk, Redis). Never fails: trouble is a miss.
    func lookup(_ request: TierRequest, on eventLoop: EventLoop) -> TierLookupResult

    /// What a fetch remembers when it begins, to hand to `store` (the fleet's purge sequence; nil otherwise).
    func commitToken() -> Int?

    /// Stores a complete response, when it fits (in the background for a tier that writes elsewhere). Never fails a
    /// request: trouble means the entry is not stored (counted and logged by the tier).
    ///
    /// `stillWanted` says whether no purge that selects the entry has run since its fetch began (a tier that must
    /// retry a write asks it again). Returns whether the entry was stored, when the tier reports it (nil otherwise).
    @discardableResult
    func store(
        _ entry: CachedResponse,
        traits: EntryTraits,
        token: Int?,
        now: Double,
        stillWanted: @escaping @Sendable () -> Bool
    ) -> EventLoopFuture<Bool>?

    /// Drops what `purges` select. Each comes with its compiled selector (nil: everything); a purge whose pattern
    /// did not compile is not passed. Returns the entries dropped, at once or later.
    func purge(_ purges: [(purge: Purge, selector: PurgeSelector?)]) -> TierPurgeResult

    /// Entries, bytes, budget and counters, for `/stats` and `/metrics`.
    var statistics: TierStatistics { get }
}

/// What a lookup in any tier needs to know of the request.
public struct TierRequest: Sendable {
    public var key: String
    /// The client path without the query.
    public var path: String
    /// For `Vary` (RFC 9111 §4.1).
    public var headers: HTTPHeaders
    public var now: Double

    public init(key: String, path: String, headers: HTTPHeaders, now: Double) {
        self.key = key
        self.path = path
        self.headers = headers
        self.now = now
    }
}

public enum TierLookup: Sendable {
    case hit(CachedResponse, EntryTraits)
    /// Something is stored under this key, but no variant matches the request's `Vary` fields.
    case varyMiss
    case miss
}

public enum TierLookupResult: Sendable {
    case answered(TierLookup)
    /// Answered by a future (a failed one is a miss).
    case pending(EventLoopFuture<TierLookup>)
    /// Answered through a callback: no future to allocate and tear down (an L2 hit had made seven; issue 18).
    case later(TierLookupLater)
}

/// A lookup that answers later: `start` begins it and calls the callback once, with the answer, on any thread.
public struct TierLookupLater: Sendable {
    let start: @Sendable (@escaping @Sendable (TierLookup) -> Void) -> Void

    public init(_ start: @escaping @Sendable (@escaping @Sendable (TierLookup) -> Void) -> Void) {
        self.start = start
    }

    /// Begins the lookup, answered by a future on `eventLoop` (for callers that wait, such as tests).
    public func future(on eventLoop: EventLoop) -> EventLoopFuture<TierLookup> {
        let promise = eventLoop.makePromise(of: TierLookup.self)
        self.start { promise.succeed($0) }
        return promise.futureResult
    }
}

public enum TierPurgeResult: Sendable {
    case done(dropped: Int)
    case pending(EventLoopFuture<TierPurgeReport>)
}

/// What a purge did in a tier that answers later.
public struct TierPurgeReport: Sendable, Equatable {
    public var dropped: Int
    /// A JSON object the admin API shows beside the count (the fleet's acknowledgements), or nil.
    public var detailJSON: String?

    public init(dropped: Int, detailJSON: String? = nil) {
        self.dropped = dropped
        self.detailJSON = detailJSON
    }
}

public struct TierStatistics: Sendable, Equatable {
    public var entries: Int
    public var bytes: Int
    public var budget: Int
    public var evictions: Int
    public var hits: Int
    public var misses: Int
    /// Files that failed their checksum or could not be read (disk).
    public var corrupt: Int
    /// Reads or writes that failed (disk full, I/O errors): never a client's error.
    public var ioErrors: Int
    /// The tier still reads its index (disk, at start): lookups miss until it is complete.
    public var loading: Bool
    /// Entries written, and entries not written (too many bytes waiting, a purge selected them meanwhile, an error).
    public var writes: Int
    public var writesSkipped: Int

    public init(
        entries: Int = 0,
        bytes: Int = 0,
        budget: Int = 0,
        evictions: Int = 0,
        hits: Int = 0,
        misses: Int = 0,
        corrupt: Int = 0,
        ioErrors: Int = 0,
        loading: Bool = false,
        writes: Int = 0,
        writesSkipped: Int = 0
    ) {
        self.entries = entries
        self.bytes = bytes
        self.budget = budget
        self.evictions = evictions
        self.hits = hits
        self.misses = misses
        self.corrupt = corrupt
        self.ioErrors = ioErrors
        self.loading = loading
        self.writes = writes
        self.writesSkipped = writesSkipped
    }
}
