import CacheStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Observability
import ProxyConfig
import RedisCache
import Synchronization

/// The eviction policy of the proxy's tiers (GreedyDual-Size-Frequency: README, Eviction).
public typealias CachePolicy = GDSFPolicy

/// State shared by every connection of one proxy: the cache, the credential hasher, the clock, counters, and
/// the current routing table (swapped whole on reload).
final class ProxyContext: Sendable {
    /// Memory, then disk and the fleet's Redis when configured; promotion and the purge journal.
    let cache: TieredStore<CachePolicy>
    let hasher: CredentialHasher
    let clock: WallClock
    let logger: Logger
    let counters: ProxyCounters
    let refresher: BackgroundRefresher
    /// Fleet mode: the Redis L2 and purge fan-out; nil without `[redis]`.
    let fleet: RedisFleet?
    let coalescer: Coalescer
    let tally = RuleTally()
    /// Spend per credential partition (`GET /partitions`); kept across reloads.
    let ledger: Ledger
    /// The last purges and their causes, for the dashboard.
    let purgeLog = PurgeLog()
    /// The busiest routes forwarded without a matching rule, for `/stats` and the dashboard.
    let unmatched = UnmatchedRoutes()
    /// Metrics and the access log when they are on; empty when both are off (then no record is built: the hit path
    /// stays as lean as it can be).
    let observers: [RequestObserver]
    /// Finished requests by phase (`/stats`, the dashboard), counted with each record; nil when no record is built.
    let phases: PhaseTally?
    /// The Prometheus observer among `observers`, when metrics are on (purges are counted through it).
    let metrics: MetricsObserver?
    /// Purge path patterns compiled from their text (local and fleet purges name them by text).
    let patterns: FleetBridge.PatternCache
    private let tableBox: NIOLockedValueBox<RoutingTable>
    /// Counts table swaps: a connection keeps the table it read until this changes (no lock per request).
    let tableGeneration = Atomic<Int>(0)

    init(
        table: RoutingTable,
        cache: TieredStore<CachePolicy>,
        patterns: FleetBridge.PatternCache = FleetBridge.PatternCache(),
        hasher: CredentialHasher,
        clock: WallClock,
        logger: Logger,
        observers: [RequestObserver] = [],
        fleet: RedisFleet? = nil
    ) {
        self.fleet = fleet
        self.ledger = Ledger(keepsUnsent: fleet != nil)
        self.coalescer = Coalescer(journal: cache.journal)
        let phases = observers.isEmpty ? nil : PhaseTally()
        self.phases = phases
        self.observers = observers
        let metrics = observers.lazy.compactMap { $0 as? MetricsObserver }.first
        let counters = ProxyCounters()
        self.metrics = metrics
        self.counters = counters
        self.tableBox = NIOLockedValueBox(table)
        self.cache = cache
        self.patterns = patterns
        self.hasher = hasher
        self.clock = clock
        self.logger = logger
        self.refresher = BackgroundRefresher(cache: cache, clock: clock, fleet: fleet, logger: logger) { kind, upstream in
            counters.countUpstreamError(kind, upstream: upstream, metrics: metrics)
        }
    }

    /// The memory tier.
    var store: MemoryStore<CachePolicy> { self.cache.memory }

    /// The one way entries leave the cache on purpose (write-invalidate, admin purges, other instances' purges):
    /// fetches in flight are told first not to store what they fetched, then the purges are applied to the tiers
    /// `scope` names.
    @discardableResult
    func purge(_ purges: [Purge], scope: TieredStore<CachePolicy>.PurgeScope) -> TieredStore<CachePolicy>.PurgeOutcome {
        self.cache.purge(purges, scope: scope)
    }

    /// The table new requests use.
    var table: RoutingTable { self.tableBox.withLockedValue { $0 } }

    /// Installs a new table; returns the old one so that its clients can be shut down once idle.
    func swapTable(_ table: RoutingTable) -> RoutingTable {
        self.tableBox.withLockedValue { current in
            let old = current
            current = table
            self.tableGeneration.add(1, ordering: .releasing)
            return old
        }
    }
}

/// Totals since start, read by `/stats`.
final class ProxyCounters: Sendable {
    let requests = Atomic<Int>(0)
    let hits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let bypasses = Atomic<Int>(0)
    let stored = Atomic<Int>(0)
    let upstreamErrors = Atomic<Int>(0)
    /// The upstream errors of kind `protocol` (the upstream broke HTTP/1.1).
    let upstreamProtocolErrors = Atomic<Int>(0)
    let invalidations = Atomic<Int>(0)
    let bytesFromCache = Atomic<Int>(0)
    /// Requests whose response has not ended yet (graceful shutdown waits for them).
    let inFlight = Atomic<Int>(0)
    /// Requests answered from another request's upstream fetch (request coalescing).
    let coalesced = Atomic<Int>(0)

    // Client connections (issue 12): what was refused, and which deadline closed a connection.

    /// Client connections open now.
    let openConnections = Atomic<Int>(0)
    /// Connections closed at accept because `max_connections` were open.
    let refusedConnections = Atomic<Int>(0)
    /// Requests refused as unreadable (400, 414, 431, 501, 505 from the parser).
    let rejectedRequests = Atomic<Int>(0)
    let headerTimeouts = Atomic<Int>(0)
    let bodyTimeouts = Atomic<Int>(0)
    let keepAliveTimeouts = Atomic<Int>(0)
    let sendTimeouts = Atomic<Int>(0)

    /// Counts a failed upstream call in `/stats` and in `reprise_upstream_errors_total`.
    func countUpstreamError(_ kind: UpstreamErrorKind, upstream: String, metrics: MetricsObserver?) {
        self.upstreamErrors.wrappingAdd(1, ordering: .relaxed)
        if kind == .protocol { self.upstreamProtocolErrors.wrappingAdd(1, ordering: .relaxed) }
        metrics?.recordUpstreamError(upstream: upstream, kind: kind)
    }

}
