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
    public func exposition(
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
    public struct ClientReading: Sendable, Equatable {
        public var open = 0
        public var refused = 0
        public var rejected = 0
        public var headerTimeouts = 0
        public var bodyTimeouts = 0
        public var keepAliveTimeouts = 0
        public var sendTimeouts = 0

        public init() {}
    }

    /// What a scrape reads from a cache tier.
    public struct StoreReading: Sendable, Equatable {
        public var entries: Int
        public var bytes: Int
        public var budget: Int
        /// Cumulative since the store was made.
        public var evictions: Int

        public init(entries: Int, bytes: Int, budget: Int, evictions: Int) {
            self.entries = entries
            self.bytes = bytes
            self.budget = budget
            self.evictions = evictions
        }

        public init<Policy>(_ store: MemoryStore<Policy>) {
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
    public struct ScrapeState: Sendable {
        public let registry: PrometheusCollectorRegistry
        public let entries: Gauge
        public let bytes: Gauge
        public let budget: Gauge
        public var evictions: MirroredCounter
        public var rules: [String: RuleMirrors] = [:]
        public let redisUp: Gauge
        public let redisSubscribed: Gauge
        public let l2Entries: Gauge
        public let l2Bytes: Gauge
        public let l2Budget: Gauge
        public var l2Evictions: MirroredCounter
        public var fleet: FleetMirrors
        public let connectionsOpen: Gauge
        public var clients: ClientMirrors
        /// Made at the first scrape that has a disk tier (none without one).
        public var disk: DiskMirrors?

        /// The disk tier's series, `tier="disk"`.
        public struct DiskMirrors: Sendable {
            public let entries: Gauge
            public let bytes: Gauge
            public let budget: Gauge
            public let loading: Gauge
            public var evictions: MirroredCounter
            public var hits: MirroredCounter
            public var misses: MirroredCounter
            public var corrupt: MirroredCounter
            public var ioErrors: MirroredCounter
            public var writes: MirroredCounter
            public var writesSkipped: MirroredCounter
        }

        public mutating func publish(disk: TierStatistics) {
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
        public struct ClientMirrors: Sendable {
            public var refused: MirroredCounter
            public var rejected: MirroredCounter
            public var header: MirroredCounter
            public var body: MirroredCounter
            public var keepAlive: MirroredCounter
            public var send: MirroredCounter
        }

        public mutating func publish(clients: ClientReading) {
            self.connectionsOpen.set(to: Double(clients.open))
            self.clients.refused.publish(clients.refused)
            self.clients.rejected.publish(clients.rejected)
            self.clients.header.publish(clients.headerTimeouts)
            self.clients.body.publish(clients.bodyTimeouts)
            self.clients.keepAlive.publish(clients.keepAliveTimeouts)
            self.clients.send.publish(clients.sendTimeouts)
        }

        /// Fleet-mode totals kept by `RedisFleet`, mirrored at scrape time.
        public struct FleetMirrors: Sendable {
            public var l2Hits: MirroredCounter
            public var l2Misses: MirroredCounter
            public var l2Writes: MirroredCounter
            public var l2WritesSkipped: MirroredCounter
            public var published: MirroredCounter
            public var received: MirroredCounter
            public var ackTimeouts: MirroredCounter
            public var localDrops: MirroredCounter
            public var flightCoalesced: MirroredCounter
            public var flightLed: MirroredCounter
            public var flightTakeovers: MirroredCounter
            public var flightFallbacks: MirroredCounter
            public var flightTimeouts: MirroredCounter
        }

        public mutating func publish(fleet: RedisFleet.Status?) {
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

        public struct RuleMirrors: Sendable {
            public var callsAvoided: MirroredCounter
            public var bytesFromCache: MirroredCounter
            public var costSaved: MirroredCounter
            public var unitsBilled: MirroredCounter
            public var unitsSaved: MirroredCounter
        }

        public init(registry: PrometheusCollectorRegistry) {
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
        public mutating func publish(rule: String, _ saved: RuleTally.Savings) {
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
    public struct MirroredCounter: Sendable {
        public let counter: Counter
        private(set) var published = 0

        public init(_ counter: Counter) {
            self.counter = counter
        }

        public mutating func publish(_ total: Int) {
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
    public enum Family {
        public static var requests: MetricNameDescriptor {
            Self.make("requests", "total", "Finished requests by rule, upstream, cache outcome and status class.")
        }
        public static var hits: MetricNameDescriptor {
            Self.make("cache_hits", "total", "Requests answered from the cache (fresh, or after a 304 revalidation).")
        }
        public static var misses: MetricNameDescriptor {
            Self.make("cache_misses", "total", "Cache lookups that went upstream.")
        }
        public static var staleServed: MetricNameDescriptor {
            Self.make("stale_served", "total", "Stale responses served by stale-while-revalidate or stale-if-error.")
        }
        public static var coalesced: MetricNameDescriptor {
            Self.make("coalesced", "total", "Requests answered from another request's upstream fetch.")
        }
        public static var bypass: MetricNameDescriptor {
            Self.make("bypass", "total", "Requests forwarded without consulting the cache, by reason.")
        }
        public static var bytes: MetricNameDescriptor {
            Self.make("bytes", "total", "Response body bytes written to clients, by where they came from.")
        }
        public static var callsAvoided: MetricNameDescriptor {
            Self.make("upstream_calls_avoided", "total", "Upstream calls avoided by cache hits (copied at scrape).")
        }
        public static var ruleBytes: MetricNameDescriptor {
            Self.make("bytes_from_cache", "total", "Body bytes served from the cache per rule (copied at scrape).")
        }
        public static var costSaved: MetricNameDescriptor {
            Self.make("cost_saved", "total", "Configured upstream cost avoided by cache hits (copied at scrape).")
        }
        public static var costUnits: MetricNameDescriptor {
            Self.make("cost_units", "total", "Upstream cost units of costed rules, billed (went upstream) or saved (copied at scrape).")
        }
        public static var cacheEntries: MetricNameDescriptor {
            Self.make("cache_entries", "", "Entries in the cache tier (l1 is memory; l2: keys in Reprise's Redis database, index keys included).")
        }
        public static var cacheBytes: MetricNameDescriptor {
            Self.make("cache_bytes", "", "Bytes held by the cache tier (l2: Redis used_memory).")
        }
        public static var cacheBudget: MetricNameDescriptor {
            Self.make("cache_budget_bytes", "", "Byte budget of the cache tier (l2: Redis maxmemory, 0 = unbounded).")
        }
        public static var evictions: MetricNameDescriptor {
            Self.make("evictions", "total", "Entries evicted from the cache tier to stay within its budget.")
        }
        public static var purges: MetricNameDescriptor {
            Self.make("purges", "total", "Purge operations by purge rule and source (write, rfc9111, admin).")
        }
        public static var purgedEntries: MetricNameDescriptor {
            Self.make("purged_entries", "total", "Cache entries dropped by purges.")
        }
        public static var upstreamDuration: MetricNameDescriptor {
            Self.make("upstream_duration", "seconds", "Seconds from sending a request upstream to its response head.")
        }
        public static var upstreamErrors: MetricNameDescriptor {
            Self.make(
                "upstream_errors", "total",
                "Failed upstream calls by upstream and kind (unreachable, timeout, protocol, truncated, tls, failed)."
            )
        }
        public static var redisUp: MetricNameDescriptor {
            Self.make("redis_up", "", "1 when the Redis command connection is up (0 without [redis]).")
        }
        public static var redisSubscribed: MetricNameDescriptor {
            Self.make("redis_subscribed", "", "1 when the purge subscription is active (0 without [redis]).")
        }
        public static var l2Lookups: MetricNameDescriptor {
            Self.make("l2_lookups", "total", "L1 misses looked up in the Redis L2, by result.")
        }
        public static var l2Writes: MetricNameDescriptor {
            Self.make("l2_writes", "total", "Responses offered to L2: stored, or skipped (a purge ran during the fetch, or Redis was unreachable).")
        }
        public static var fleetPurges: MetricNameDescriptor {
            Self.make("fleet_purges", "total", "Purge messages published to and received from the other instances.")
        }
        public static var fleetAckTimeouts: MetricNameDescriptor {
            Self.make("fleet_ack_timeouts", "total", "Published purges that some instance did not confirm within purge_ack_timeout.")
        }
        public static var fleetFlight: MetricNameDescriptor {
            Self.make(
                "fleet_single_flight",
                "total",
                "Cross-instance single flight: coalesced (answered from another instance's fetch), led (leases won), "
                    + "takeover (leases taken from a failed or dead holder), fallback (Redis unavailable: local coalescing), "
                    + "timeout (coalesce_timeout passed while waiting)."
            )
        }
        public static var fleetL1Drops: MetricNameDescriptor {
            Self.make("fleet_l1_drops", "total", "Times L1 was dropped because purges may have been missed (Redis reconnects).")
        }

        public static var tierLookups: MetricNameDescriptor {
            Self.make("cache_tier_lookups", "total", "Lookups in a tier below memory (disk), by result.")
        }
        public static var tierCorrupt: MetricNameDescriptor {
            Self.make("cache_corrupt_files", "total", "Files that failed a checksum or were cut short: answered as misses and removed.")
        }
        public static var tierIOErrors: MetricNameDescriptor {
            Self.make("cache_io_errors", "total", "Reads and writes that failed (a full disk, I/O errors): never a client's error.")
        }
        public static var tierWrites: MetricNameDescriptor {
            Self.make("cache_tier_writes", "total", "Entries written to a tier below memory: stored, or skipped (too much waiting, purged meanwhile, an error).")
        }
        public static var tierLoading: MetricNameDescriptor {
            Self.make("cache_tier_loading", "", "1 while the tier reads its index at start (lookups miss until it is done).")
        }

        public static var connectionsOpen: MetricNameDescriptor {
            Self.make("connections_open", "", "Client connections open now.")
        }
        public static var connectionsRefused: MetricNameDescriptor {
            Self.make("connections_refused", "total", "Client connections closed at accept because max_connections were open.")
        }
        public static var requestsRejected: MetricNameDescriptor {
            Self.make("requests_rejected", "total", "Requests refused as unreadable HTTP/1.1 (400, 414, 431, 501, 505), connection closed.")
        }
        public static var clientTimeouts: MetricNameDescriptor {
            Self.make("client_timeouts", "total", "Client connections closed by a deadline, by phase (header, body, keepalive, send).")
        }

        private static func make(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "reprise", metricName: name, unitName: unit, helpText: help)
        }
    }
}
