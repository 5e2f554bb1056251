import CacheStore
import Prometheus
import RedisCache

// MARK: - Scrape

extension MetricsObserver {
    /// The Prometheus text exposition (format 0.0.4), after copying in what is read at scrape time: the L1 store's
    /// statistics and budget, and the per-rule savings of `RuleTally`.
    ///
    /// The store's evictions and the tally's savings are cumulative totals kept elsewhere; they are exposed as
    /// counters that each scrape advances by the growth since the previous scrape, so `rate()` works on them.
    func exposition(
        store: StoreReading,
        savings: [String: RuleTally.Savings],
        fleet: RedisFleet.Status? = nil,
        l2: StoreReading? = nil,
        clients: ClientReading? = nil,
        disk: TierStatistics? = nil
    ) -> String {
        self.scrape.withLockedValue { state in
            state.publish(fleet: fleet)
            if let disk { state.publish(disk: disk) }
            if let clients { state.publish(clients: clients) }
            if let l2 {
                state.l2Entries.set(to: Double(l2.entries))
                state.l2Bytes.set(to: Double(l2.bytes))
                state.l2Budget.set(to: Double(l2.budget))
                state.l2Evictions.publish(l2.evictions)
            }
            state.entries.set(to: Double(store.entries))
            state.bytes.set(to: Double(store.bytes))
            state.budget.set(to: Double(store.budget))
            state.evictions.publish(store.evictions)
            for (rule, saved) in savings {
                state.publish(rule: rule, saved)
            }
            return self.registry.emitToString()
        }
    }

    /// What a scrape reads of the client connections (`ProxyCounters`).
    struct ClientReading: Sendable, Equatable {
        var open = 0
        var refused = 0
        var rejected = 0
        var headerTimeouts = 0
        var bodyTimeouts = 0
        var keepAliveTimeouts = 0
        var sendTimeouts = 0

        init() {}

        init(_ counters: ProxyCounters) {
            self.open = counters.openConnections.load(ordering: .relaxed)
            self.refused = counters.refusedConnections.load(ordering: .relaxed)
            self.rejected = counters.rejectedRequests.load(ordering: .relaxed)
            self.headerTimeouts = counters.headerTimeouts.load(ordering: .relaxed)
            self.bodyTimeouts = counters.bodyTimeouts.load(ordering: .relaxed)
            self.keepAliveTimeouts = counters.keepAliveTimeouts.load(ordering: .relaxed)
            self.sendTimeouts = counters.sendTimeouts.load(ordering: .relaxed)
        }
    }

    /// What a scrape reads from a cache tier.
    struct StoreReading: Sendable, Equatable {
        var entries: Int
        var bytes: Int
        var budget: Int
        /// Cumulative since the store was made.
        var evictions: Int

        init(entries: Int, bytes: Int, budget: Int, evictions: Int) {
            self.entries = entries
            self.bytes = bytes
            self.budget = budget
            self.evictions = evictions
        }

        init<Policy>(_ store: MemoryStore<Policy>) {
            let statistics = store.statistics
            self.init(
                entries: statistics.entries,
                bytes: statistics.bytes,
                budget: store.budget,
                evictions: statistics.evictions
            )
        }
    }
}

extension MetricsObserver {
    /// The series written at scrape time, and what each mirrored counter last published.
    struct ScrapeState: Sendable {
        let registry: PrometheusCollectorRegistry
        let entries: Gauge
        let bytes: Gauge
        let budget: Gauge
        var evictions: MirroredCounter
        var rules: [String: RuleMirrors] = [:]
        let redisUp: Gauge
        let redisSubscribed: Gauge
        let l2Entries: Gauge
        let l2Bytes: Gauge
        let l2Budget: Gauge
        var l2Evictions: MirroredCounter
        var fleet: FleetMirrors
        let connectionsOpen: Gauge
        var clients: ClientMirrors
        /// Made at the first scrape that has a disk tier (none without one).
        var disk: DiskMirrors?

        /// The disk tier's series, `tier="disk"`.
        struct DiskMirrors: Sendable {
            let entries: Gauge
            let bytes: Gauge
            let budget: Gauge
            let loading: Gauge
            var evictions: MirroredCounter
            var hits: MirroredCounter
            var misses: MirroredCounter
            var corrupt: MirroredCounter
            var ioErrors: MirroredCounter
            var writes: MirroredCounter
            var writesSkipped: MirroredCounter
        }

        mutating func publish(disk: TierStatistics) {
            var mirrors = self.disk ?? self.makeDiskMirrors()
            mirrors.entries.set(to: Double(disk.entries))
            mirrors.bytes.set(to: Double(disk.bytes))
            mirrors.budget.set(to: Double(disk.budget))
            mirrors.loading.set(to: disk.loading ? 1 : 0)
            mirrors.evictions.publish(disk.evictions)
            mirrors.hits.publish(disk.hits)
            mirrors.misses.publish(disk.misses)
            mirrors.corrupt.publish(disk.corrupt)
            mirrors.ioErrors.publish(disk.ioErrors)
            mirrors.writes.publish(disk.writes)
            mirrors.writesSkipped.publish(disk.writesSkipped)
            self.disk = mirrors
        }

        private func makeDiskMirrors() -> DiskMirrors {
            let tier = [("tier", "disk")]
            func mirror(_ family: MetricNameDescriptor, _ labels: [(String, String)]) -> MirroredCounter {
                MirroredCounter(self.registry.makeCounter(descriptor: family, labels: labels))
            }
            return DiskMirrors(
                entries: self.registry.makeGauge(descriptor: Family.cacheEntries, labels: tier),
                bytes: self.registry.makeGauge(descriptor: Family.cacheBytes, labels: tier),
                budget: self.registry.makeGauge(descriptor: Family.cacheBudget, labels: tier),
                loading: self.registry.makeGauge(descriptor: Family.tierLoading, labels: tier),
                evictions: mirror(Family.evictions, tier),
                hits: mirror(Family.tierLookups, tier + [("result", "hit")]),
                misses: mirror(Family.tierLookups, tier + [("result", "miss")]),
                corrupt: mirror(Family.tierCorrupt, tier),
                ioErrors: mirror(Family.tierIOErrors, tier),
                writes: mirror(Family.tierWrites, tier + [("result", "stored")]),
                writesSkipped: mirror(Family.tierWrites, tier + [("result", "skipped")])
            )
        }

        /// Client-connection totals kept in `ProxyCounters`, mirrored at scrape time.
        struct ClientMirrors: Sendable {
            var refused: MirroredCounter
            var rejected: MirroredCounter
            var header: MirroredCounter
            var body: MirroredCounter
            var keepAlive: MirroredCounter
            var send: MirroredCounter
        }

        mutating func publish(clients: ClientReading) {
            self.connectionsOpen.set(to: Double(clients.open))
            self.clients.refused.publish(clients.refused)
            self.clients.rejected.publish(clients.rejected)
            self.clients.header.publish(clients.headerTimeouts)
            self.clients.body.publish(clients.bodyTimeouts)
            self.clients.keepAlive.publish(clients.keepAliveTimeouts)
            self.clients.send.publish(clients.sendTimeouts)
        }

        /// Fleet-mode totals kept by `RedisFleet`, mirrored at scrape time.
        struct FleetMirrors: Sendable {
            var l2Hits: MirroredCounter
            var l2Misses: MirroredCounter
            var l2Writes: MirroredCounter
            var l2WritesSkipped: MirroredCounter
            var published: MirroredCounter
            var received: MirroredCounter
            var ackTimeouts: MirroredCounter
            var localDrops: MirroredCounter
            var flightCoalesced: MirroredCounter
            var flightLed: MirroredCounter
            var flightTakeovers: MirroredCounter
            var flightFallbacks: MirroredCounter
            var flightTimeouts: MirroredCounter
        }

        mutating func publish(fleet: RedisFleet.Status?) {
            self.redisUp.set(to: fleet?.connected == true ? 1 : 0)
            self.redisSubscribed.set(to: fleet?.subscribed == true ? 1 : 0)
            guard let counters = fleet?.counters else { return }
            self.fleet.l2Hits.publish(counters.l2Hits)
            self.fleet.l2Misses.publish(counters.l2Misses)
            self.fleet.l2Writes.publish(counters.l2Writes)
            self.fleet.l2WritesSkipped.publish(counters.l2WritesSkipped)
            self.fleet.published.publish(counters.purgesPublished)
            self.fleet.received.publish(counters.purgesReceived)
            self.fleet.ackTimeouts.publish(counters.ackTimeouts)
            self.fleet.localDrops.publish(counters.localDrops)
            self.fleet.flightCoalesced.publish(counters.flightCoalesced)
            self.fleet.flightLed.publish(counters.flightLed)
            self.fleet.flightTakeovers.publish(counters.flightTakeovers)
            self.fleet.flightFallbacks.publish(counters.flightFallbacks)
            self.fleet.flightTimeouts.publish(counters.flightTimeouts)
        }

        struct RuleMirrors: Sendable {
            var callsAvoided: MirroredCounter
            var bytesFromCache: MirroredCounter
            var costSaved: MirroredCounter
            var unitsBilled: MirroredCounter
            var unitsSaved: MirroredCounter
        }

        init(registry: PrometheusCollectorRegistry) {
            let tier = [("tier", "l1")]
            self.registry = registry
            self.entries = registry.makeGauge(descriptor: Family.cacheEntries, labels: tier)
            self.bytes = registry.makeGauge(descriptor: Family.cacheBytes, labels: tier)
            self.budget = registry.makeGauge(descriptor: Family.cacheBudget, labels: tier)
            self.evictions = MirroredCounter(registry.makeCounter(descriptor: Family.evictions, labels: tier))
            let l2 = [("tier", "l2")]
            self.l2Entries = registry.makeGauge(descriptor: Family.cacheEntries, labels: l2)
            self.l2Bytes = registry.makeGauge(descriptor: Family.cacheBytes, labels: l2)
            self.l2Budget = registry.makeGauge(descriptor: Family.cacheBudget, labels: l2)
            self.l2Evictions = MirroredCounter(registry.makeCounter(descriptor: Family.evictions, labels: l2))
            self.redisUp = registry.makeGauge(descriptor: Family.redisUp)
            self.redisSubscribed = registry.makeGauge(descriptor: Family.redisSubscribed)
            func mirror(_ family: MetricNameDescriptor, _ labels: [(String, String)]) -> MirroredCounter {
                MirroredCounter(registry.makeCounter(descriptor: family, labels: labels))
            }
            self.fleet = FleetMirrors(
                l2Hits: mirror(Family.l2Lookups, [("result", "hit")]),
                l2Misses: mirror(Family.l2Lookups, [("result", "miss")]),
                l2Writes: mirror(Family.l2Writes, [("result", "stored")]),
                l2WritesSkipped: mirror(Family.l2Writes, [("result", "skipped")]),
                published: mirror(Family.fleetPurges, [("direction", "published")]),
                received: mirror(Family.fleetPurges, [("direction", "received")]),
                ackTimeouts: mirror(Family.fleetAckTimeouts, []),
                localDrops: mirror(Family.fleetL1Drops, []),
                flightCoalesced: mirror(Family.fleetFlight, [("event", "coalesced")]),
                flightLed: mirror(Family.fleetFlight, [("event", "led")]),
                flightTakeovers: mirror(Family.fleetFlight, [("event", "takeover")]),
                flightFallbacks: mirror(Family.fleetFlight, [("event", "fallback")]),
                flightTimeouts: mirror(Family.fleetFlight, [("event", "timeout")])
            )
            self.connectionsOpen = registry.makeGauge(descriptor: Family.connectionsOpen)
            self.clients = ClientMirrors(
                refused: mirror(Family.connectionsRefused, []),
                rejected: mirror(Family.requestsRejected, []),
                header: mirror(Family.clientTimeouts, [("phase", "header")]),
                body: mirror(Family.clientTimeouts, [("phase", "body")]),
                keepAlive: mirror(Family.clientTimeouts, [("phase", "keepalive")]),
                send: mirror(Family.clientTimeouts, [("phase", "send")])
            )
        }

        /// Rule names come from the configuration (the tally never records an unnamed rule), so this set is bounded.
        mutating func publish(rule: String, _ saved: RuleTally.Savings) {
            var mirrors = self.rules[rule] ?? self.makeMirrors(rule: rule)
            mirrors.callsAvoided.publish(saved.callsAvoided)
            mirrors.bytesFromCache.publish(saved.bytesFromCache)
            mirrors.costSaved.publish(saved.costSaved)
            mirrors.unitsBilled.publish(saved.costBilled)
            mirrors.unitsSaved.publish(saved.costSaved)
            self.rules[rule] = mirrors
        }

        private func makeMirrors(rule: String) -> RuleMirrors {
            let labels = [("rule", MetricsObserver.name(rule))]
            func mirror(_ family: MetricNameDescriptor) -> MirroredCounter {
                MirroredCounter(self.registry.makeCounter(descriptor: family, labels: labels))
            }
            let name = MetricsObserver.name(rule)
            func units(_ kind: String) -> MirroredCounter {
                MirroredCounter(self.registry.makeCounter(descriptor: Family.costUnits, labels: [("rule", name), ("kind", kind)]))
            }
            return RuleMirrors(
                callsAvoided: mirror(Family.callsAvoided),
                bytesFromCache: mirror(Family.ruleBytes),
                costSaved: mirror(Family.costSaved),
                unitsBilled: units("billed"),
                unitsSaved: units("saved")
            )
        }
    }

    /// A Prometheus counter that follows a cumulative total kept elsewhere.
    struct MirroredCounter: Sendable {
        let counter: Counter
        private(set) var published = 0

        init(_ counter: Counter) {
            self.counter = counter
        }

        mutating func publish(_ total: Int) {
            if total >= self.published {
                self.counter.increment(by: Int64(total - self.published))
            } else {
                // The source restarted from zero: so does the counter (Prometheus reads this as a counter reset).
                self.counter.reset()
                self.counter.increment(by: Int64(max(0, total)))
            }
            self.published = max(0, total)
        }
    }
}

// MARK: - Families

/// Every metric family: name, unit and help text in one place.
extension MetricsObserver {
    enum Family {
        static var requests: MetricNameDescriptor {
            Self.make("requests", "total", "Finished requests by rule, upstream, cache outcome and status class.")
        }
        static var hits: MetricNameDescriptor {
            Self.make("cache_hits", "total", "Requests answered from the cache (fresh, or after a 304 revalidation).")
        }
        static var misses: MetricNameDescriptor {
            Self.make("cache_misses", "total", "Cache lookups that went upstream.")
        }
        static var staleServed: MetricNameDescriptor {
            Self.make("stale_served", "total", "Stale responses served by stale-while-revalidate or stale-if-error.")
        }
        static var coalesced: MetricNameDescriptor {
            Self.make("coalesced", "total", "Requests answered from another request's upstream fetch.")
        }
        static var bypass: MetricNameDescriptor {
            Self.make("bypass", "total", "Requests forwarded without consulting the cache, by reason.")
        }
        static var bytes: MetricNameDescriptor {
            Self.make("bytes", "total", "Response body bytes written to clients, by where they came from.")
        }
        static var callsAvoided: MetricNameDescriptor {
            Self.make("upstream_calls_avoided", "total", "Upstream calls avoided by cache hits (copied at scrape).")
        }
        static var ruleBytes: MetricNameDescriptor {
            Self.make("bytes_from_cache", "total", "Body bytes served from the cache per rule (copied at scrape).")
        }
        static var costSaved: MetricNameDescriptor {
            Self.make("cost_saved", "total", "Configured upstream cost avoided by cache hits (copied at scrape).")
        }
        static var costUnits: MetricNameDescriptor {
            Self.make("cost_units", "total", "Upstream cost units of costed rules, billed (went upstream) or saved (copied at scrape).")
        }
        static var cacheEntries: MetricNameDescriptor {
            Self.make("cache_entries", "", "Entries in the cache tier (l1 is memory; l2: keys in Reprise's Redis database, index keys included).")
        }
        static var cacheBytes: MetricNameDescriptor {
            Self.make("cache_bytes", "", "Bytes held by the cache tier (l2: Redis used_memory).")
        }
        static var cacheBudget: MetricNameDescriptor {
            Self.make("cache_budget_bytes", "", "Byte budget of the cache tier (l2: Redis maxmemory, 0 = unbounded).")
        }
        static var evictions: MetricNameDescriptor {
            Self.make("evictions", "total", "Entries evicted from the cache tier to stay within its budget.")
        }
        static var purges: MetricNameDescriptor {
            Self.make("purges", "total", "Purge operations by purge rule and source (write, rfc9111, admin).")
        }
        static var purgedEntries: MetricNameDescriptor {
            Self.make("purged_entries", "total", "Cache entries dropped by purges.")
        }
        static var upstreamDuration: MetricNameDescriptor {
            Self.make("upstream_duration", "seconds", "Seconds from sending a request upstream to its response head.")
        }
        static var upstreamErrors: MetricNameDescriptor {
            Self.make(
                "upstream_errors", "total",
                "Failed upstream calls by upstream and kind (unreachable, timeout, protocol, truncated, tls, failed)."
            )
        }
        static var redisUp: MetricNameDescriptor {
            Self.make("redis_up", "", "1 when the Redis command connection is up (0 without [redis]).")
        }
        static var redisSubscribed: MetricNameDescriptor {
            Self.make("redis_subscribed", "", "1 when the purge subscription is active (0 without [redis]).")
        }
        static var l2Lookups: MetricNameDescriptor {
            Self.make("l2_lookups", "total", "L1 misses looked up in the Redis L2, by result.")
        }
        static var l2Writes: MetricNameDescriptor {
            Self.make("l2_writes", "total", "Responses offered to L2: stored, or skipped (a purge ran during the fetch, or Redis was unreachable).")
        }
        static var fleetPurges: MetricNameDescriptor {
            Self.make("fleet_purges", "total", "Purge messages published to and received from the other instances.")
        }
        static var fleetAckTimeouts: MetricNameDescriptor {
            Self.make("fleet_ack_timeouts", "total", "Published purges that some instance did not confirm within purge_ack_timeout.")
        }
        static var fleetFlight: MetricNameDescriptor {
            Self.make(
                "fleet_single_flight",
                "total",
                "Cross-instance single flight: coalesced (answered from another instance's fetch), led (leases won), "
                    + "takeover (leases taken from a failed or dead holder), fallback (Redis unavailable: local coalescing), "
                    + "timeout (coalesce_timeout passed while waiting)."
            )
        }
        static var fleetL1Drops: MetricNameDescriptor {
            Self.make("fleet_l1_drops", "total", "Times L1 was dropped because purges may have been missed (Redis reconnects).")
        }

        static var tierLookups: MetricNameDescriptor {
            Self.make("cache_tier_lookups", "total", "Lookups in a tier below memory (disk), by result.")
        }
        static var tierCorrupt: MetricNameDescriptor {
            Self.make("cache_corrupt_files", "total", "Files that failed a checksum or were cut short: answered as misses and removed.")
        }
        static var tierIOErrors: MetricNameDescriptor {
            Self.make("cache_io_errors", "total", "Reads and writes that failed (a full disk, I/O errors): never a client's error.")
        }
        static var tierWrites: MetricNameDescriptor {
            Self.make("cache_tier_writes", "total", "Entries written to a tier below memory: stored, or skipped (too much waiting, purged meanwhile, an error).")
        }
        static var tierLoading: MetricNameDescriptor {
            Self.make("cache_tier_loading", "", "1 while the tier reads its index at start (lookups miss until it is done).")
        }

        static var connectionsOpen: MetricNameDescriptor {
            Self.make("connections_open", "", "Client connections open now.")
        }
        static var connectionsRefused: MetricNameDescriptor {
            Self.make("connections_refused", "total", "Client connections closed at accept because max_connections were open.")
        }
        static var requestsRejected: MetricNameDescriptor {
            Self.make("requests_rejected", "total", "Requests refused as unreadable HTTP/1.1 (400, 414, 431, 501, 505), connection closed.")
        }
        static var clientTimeouts: MetricNameDescriptor {
            Self.make("client_timeouts", "total", "Client connections closed by a deadline, by phase (header, body, keepalive, send).")
        }

        private static func make(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "reprise", metricName: name, unitName: unit, helpText: help)
        }
    }
}
