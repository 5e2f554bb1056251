import CacheStore
import Logging
import NIOCore
import Observability
import ProxyConfig

/// The running proxy as the admin API sees it (`AdminSurface`).
extension ProxyServer: AdminSurface {
    public var now: Double { self.proxy.clock.now() }

    public func snapshot() -> ProxySnapshot {
        let counters = self.proxy.counters
        var snapshot = ProxySnapshot()
        snapshot.requests = counters.requests.load(ordering: .relaxed)
        snapshot.hits = counters.hits.load(ordering: .relaxed)
        snapshot.forwarded = counters.misses.load(ordering: .relaxed)
        snapshot.stored = counters.stored.load(ordering: .relaxed)
        snapshot.upstreamErrors = counters.upstreamErrors.load(ordering: .relaxed)
        snapshot.upstreamProtocolErrors = counters.upstreamProtocolErrors.load(ordering: .relaxed)
        snapshot.invalidated = counters.invalidations.load(ordering: .relaxed)
        snapshot.bytesFromCache = counters.bytesFromCache.load(ordering: .relaxed)
        snapshot.coalesced = counters.coalesced.load(ordering: .relaxed)
        snapshot.phases = self.proxy.phases?.snapshot
        snapshot.clients = MetricsObserver.ClientReading(counters)
        snapshot.memory = MetricsObserver.StoreReading(self.store)
        snapshot.rules = self.proxy.tally.snapshot
        snapshot.recentPurges = self.proxy.purgeLog.recent
        snapshot.unmatchedRoutesJSON = self.proxy.unmatched.json()
        snapshot.disk = self.disk.map { ProxySnapshot.DiskSnapshot(statistics: $0.statistics, load: $0.loadReport) }
        snapshot.fleet = self.fleet.map { ProxySnapshot.FleetSnapshot(status: $0.status, instanceID: $0.instanceID) }
        return snapshot
    }

    public var fleetHealthy: Bool? { self.fleet?.isHealthy }

    public func purge(_ purges: [Purge], cause: String) -> TieredStore<CachePolicy>.PurgeOutcome {
        let outcome = self.proxy.purge(purges, scope: .everywhere)
        self.proxy.purgeLog.record(cause: cause, dropped: outcome.dropped, now: self.proxy.clock.now())
        self.proxy.metrics?.recordPurge(rule: "", source: "admin", dropped: outcome.dropped)
        return outcome
    }

    public func storedEntries() -> [(entry: CachedResponse, rule: String)] {
        let router = self.proxy.table.router
        return self.store.entries().map { entry in
            // The rule that would store it now (an entry does not remember its rule).
            let method = String(entry.key.prefix { $0 != " " })
            return (entry, router.route(method: method, path: entry.path)?.rule?.name ?? "")
        }
    }

    public func ledgerRows() -> (local: [String: Ledger.Row], fleet: EventLoopFuture<[String: Ledger.Row]?>?) {
        (self.proxy.ledger.snapshot, self.ledgerSync?.fleetRows())
    }

    public func metricsExposition() -> EventLoopFuture<String>? {
        guard let observer = self.proxy.metrics else { return nil }
        let store = MetricsObserver.StoreReading(self.store)
        let savings = self.proxy.tally.snapshot
        let disk = self.disk?.statistics
        let clients = MetricsObserver.ClientReading(self.proxy.counters)
        guard let fleet = self.fleet else {
            let text = observer.exposition(store: store, savings: savings, clients: clients, disk: disk)
            return self.group.next().makeSucceededFuture(text)
        }
        return fleet.tierReading().map { reading in
            let l2 = reading.map {
                MetricsObserver.StoreReading(entries: $0.keys, bytes: $0.bytes, budget: $0.budget, evictions: $0.evictions)
            }
            return observer.exposition(store: store, savings: savings, fleet: fleet.status, l2: l2, clients: clients, disk: disk)
        }
    }
}

extension MetricsObserver.ClientReading {
    init(_ counters: ProxyCounters) {
        self.init()
        self.open = counters.openConnections.load(ordering: .relaxed)
        self.refused = counters.refusedConnections.load(ordering: .relaxed)
        self.rejected = counters.rejectedRequests.load(ordering: .relaxed)
        self.headerTimeouts = counters.headerTimeouts.load(ordering: .relaxed)
        self.bodyTimeouts = counters.bodyTimeouts.load(ordering: .relaxed)
        self.keepAliveTimeouts = counters.keepAliveTimeouts.load(ordering: .relaxed)
        self.sendTimeouts = counters.sendTimeouts.load(ordering: .relaxed)
    }
}

extension ProxyServer {
    /// The proxy's Prometheus observer, when metrics are on.
    var metricsObserver: MetricsObserver? { self.proxy.metrics }
}
