import CacheStore
import DiskCache
import Logging
import NIOCore
import Observability
import ProxyConfig
import RedisCache

/// Sets up an accepted admin connection for the admin API of a proxy (`surface`) behind `token`: the `Admin`
/// target's `AdminAPI.mount`, given to `ProxyServer.start(admin:)`.
public typealias AdminMount = @Sendable (_ surface: any AdminSurface, _ token: String) -> @Sendable (Channel) throws -> Void

/// What a running proxy shows and lets do to the admin API (the `Admin` target): readings as values, purges,
/// reloads and the stored entries. The admin API sees nothing else of `ProxyServer`.
public protocol AdminSurface: Sendable {
    /// Now, on the proxy's clock (epoch seconds).
    var now: Double { get }
    var logger: Logger { get }
    /// Every reading `/stats` and the dashboard show, taken now.
    func snapshot() -> ProxySnapshot
    /// Without `[redis]`: nil. With it: whether Redis is connected and subscribed (`/readyz`).
    var fleetHealthy: Bool? { get }
    /// Drops what `purges` select from every tier and the rest of the fleet; counted in the purge log (with `cause`)
    /// and the metrics (source `admin`).
    func purge(_ purges: [Purge], cause: String) -> TieredStore<CachePolicy>.PurgeOutcome
    /// The memory tier's entries, each with the name of the rule that would store it now ("" for none).
    func storedEntries() -> [(entry: CachedResponse, rule: String)]
    /// The ledger: this instance's rows, and in fleet mode a future of every instance's sum (nil when Redis did not
    /// answer).
    func ledgerRows() -> (local: [String: Ledger.Row], fleet: EventLoopFuture<[String: Ledger.Row]?>?)
    /// The Prometheus text exposition, nil when `[metrics]` is off (in fleet mode it waits for L2's size).
    func metricsExposition() -> EventLoopFuture<String>?
    /// Re-reads proxy.conf; a bad file throws `ConfigError` and the running configuration stays.
    func reloadFromFile() throws -> ProxyConfiguration
}

/// The readings of one moment, for `/stats` and the dashboard.
public struct ProxySnapshot: Sendable {
    public var requests = 0
    public var hits = 0
    public var forwarded = 0
    public var stored = 0
    public var upstreamErrors = 0
    public var upstreamProtocolErrors = 0
    public var invalidated = 0
    public var bytesFromCache = 0
    public var coalesced = 0
    /// Finished requests by phase (since start); nil when no request record is built (metrics and the access log
    /// both off).
    public var phases: [CachePhase: Int]?
    public var clients = MetricsObserver.ClientReading()
    public var memory = MetricsObserver.StoreReading(entries: 0, bytes: 0, budget: 0, evictions: 0)
    public var rules: [String: RuleTally.Savings] = [:]
    public var recentPurges: [PurgeLog.Record] = []
    /// `UnmatchedRoutes.json()`.
    public var unmatchedRoutesJSON = "[]"
    public var disk: DiskSnapshot?
    public var fleet: FleetSnapshot?

    public init() {}

    public struct DiskSnapshot: Sendable {
        public var statistics: TierStatistics
        public var load: DiskTier.LoadReport?
    }

    public struct FleetSnapshot: Sendable {
        public var status: RedisFleet.Status
        public var instanceID: String
    }
}
