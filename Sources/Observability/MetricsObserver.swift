import HTTPCaching
import JWTVerification
import NIOConcurrencyHelpers
import NIOCore
import Prometheus

/// Prometheus metrics for one proxy: counts every finished request (`observe`) and purge (`recordPurge`), and
/// renders the text exposition for `GET /metrics` (`exposition`, in `MetricsObserver+Exposition.swift`).
///
/// Each proxy owns its registry; the global `MetricsSystem` is never bootstrapped, so several proxies (tests) can
/// live in one process. Every label value is a configured name (rule, upstream) or a word from a fixed set
/// (outcome, status class, reason, purge source, tier), so the number of series stays bounded.
public final class MetricsObserver: RequestObserver {
    /// Rendered by `exposition`.
    public let registry: PrometheusCollectorRegistry
    /// Series created on first use, so that the hot path does one dictionary lookup under one lock.
    private let series = NIOLockedValueBox(SeriesCache())
    /// Serializes scrapes: the counters mirrored from cumulative snapshots are advanced by deltas under it.
    public let scrape: NIOLockedValueBox<ScrapeState>

    /// Each loop's series cache, built once for the loops of `group`: read without a lock.
    private let loopObservers: [ObjectIdentifier: MetricsLoopObserver]

    public init(group: EventLoopGroup? = nil) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.scrape = NIOLockedValueBox(ScrapeState(registry: registry))
        var loopObservers: [ObjectIdentifier: MetricsLoopObserver] = [:]
        for loop in group?.makeIterator() ?? EventLoopIterator([]) {
            loopObservers[ObjectIdentifier(loop)] = MetricsLoopObserver(eventLoop: loop)
        }
        self.loopObservers = loopObservers
        // Before any connection exists (the proxy is built before it listens).
        for observer in loopObservers.values { observer.attach(to: self) }
    }

    // MARK: - Hot path

    /// Called on the connection's event loop for every finished request: one locked lookup, then atomic adds.
    /// Connections use their loop's `MetricsLoopObserver` instead, which skips the lock once a label set is known.
    public func observe(_ record: RequestRecord) {
        Self.count(record, in: self.series(for: record, fastKey: Self.fastKeyIfAny(record)))
    }

    /// The loop's cache of series in front of this observer, or this observer for a loop outside the group.
    public func observer(on eventLoop: EventLoop) -> RequestObserver {
        self.loopObservers[ObjectIdentifier(eventLoop)] ?? self
    }

    /// Adds one request to its series.
    @inline(__always)
    public static func count(_ record: RequestRecord, in series: RequestSeries) {
        series.requests.increment()
        series.outcome?.increment()
        if record.bytes > 0 { series.bytes?.increment(by: Int64(record.bytes)) }
        if let seconds = record.upstreamSeconds { series.upstreamDuration?.record(max(0, seconds)) }
    }

    /// Whether `series` can count `record` (a record that went upstream also needs the latency histogram).
    @inline(__always)
    public static func fits(_ series: RequestSeries, _ record: RequestRecord) -> Bool {
        series.upstreamDuration != nil || record.upstreamSeconds == nil
    }

    /// A routed, non-bypass record's label set is fully named by its label ids, outcome and status class, so one
    /// integer finds its series (no label string is hashed); nil for the others.
    @inline(__always)
    public static func fastKeyIfAny(_ record: RequestRecord) -> Int? {
        record.labelIDs != 0 && record.phase != .bypass ? Self.fastKey(record) : nil
    }

    /// The record's series under the lock, created on first use (or on its first record that went upstream).
    public func series(for record: RequestRecord, fastKey: Int?) -> RequestSeries {
        let wantsDuration = record.upstreamSeconds != nil
        return self.series.withLockedValue { cache -> RequestSeries in
            if let fastKey, let found = cache.fast[fastKey], Self.fits(found, record) {
                return found
            }
            let key = RequestSeriesKey(record)
            if let found = cache.requests[key], Self.fits(found, record) {
                if let fastKey { cache.fast[fastKey] = found }
                return found
            }
            var series = cache.requests[key] ?? self.makeSeries(key)
            if wantsDuration {
                series.upstreamDuration = self.registry.makeValueHistogram(
                    descriptor: Family.upstreamDuration,
                    labels: [("upstream", Self.name(key.upstream))],
                    buckets: Self.upstreamDurationBuckets
                )
            }
            cache.requests[key] = series
            if let fastKey { cache.fast[fastKey] = series }
            return series
        }
    }

    /// Counts one purge. `source` is "write" (a `[[purge]]` rule fired by a write), "rfc9111" (the RFC 9111 §4.4
    /// invalidation of a write's targets) or "admin" (the admin API); anything else is counted as "other".
    /// `rule` is the `[[purge]]` rule name, or "" when none applies.
    public func recordPurge(rule: String, source: String, dropped: Int) {
        let key = PurgeSeriesKey(rule: rule, source: Self.purgeSources.contains(source) ? source : "other")
        let series = self.series.withLockedValue { cache -> PurgeSeries in
            if let found = cache.purges[key] { return found }
            let labels = [("rule", Self.name(key.rule)), ("source", key.source)]
            let made = PurgeSeries(
                purges: self.registry.makeCounter(descriptor: Family.purges, labels: labels),
                dropped: self.registry.makeCounter(descriptor: Family.purgedEntries, labels: labels)
            )
            cache.purges[key] = made
            return made
        }
        series.purges.increment()
        if dropped > 0 { series.dropped.increment(by: Int64(dropped)) }
    }

    /// Counts one failed upstream call by upstream and `UpstreamErrorKind` (both bounded: configured names and a
    /// fixed set of words).
    public func recordUpstreamError(upstream: String, kind: UpstreamErrorKind) {
        let key = UpstreamErrorSeriesKey(upstream: upstream, kind: kind)
        let counter = self.series.withLockedValue { cache -> Counter in
            if let found = cache.upstreamErrors[key] { return found }
            let made = self.registry.makeCounter(
                descriptor: Family.upstreamErrors,
                labels: [("upstream", Self.name(upstream)), ("kind", kind.rawValue)]
            )
            cache.upstreamErrors[key] = made
            return made
        }
        counter.increment()
    }

    // MARK: - Series

    /// Creates (or finds, for the shared per-rule counters) the series of one label set; called once per key.
    private func makeSeries(_ key: RequestSeriesKey) -> RequestSeries {
        let rule = [("rule", Self.name(key.rule))]
        let outcome: Counter?
        switch key.outcome {
        case .hit, .revalidated: outcome = self.registry.makeCounter(descriptor: Family.hits, labels: rule)
        case .miss: outcome = self.registry.makeCounter(descriptor: Family.misses, labels: rule)
        case .stale, .staleUpdating: outcome = self.registry.makeCounter(descriptor: Family.staleServed, labels: rule)
        case .coalesced: outcome = self.registry.makeCounter(descriptor: Family.coalesced, labels: rule)
        case .bypass:
            outcome = self.registry.makeCounter(descriptor: Family.bypass, labels: rule + [("reason", key.reason)])
        case .pass, .error, .aborted, .local: outcome = nil
        }
        let source: String?
        switch key.outcome {
        case .hit, .revalidated, .stale, .staleUpdating: source = "cache"
        case .miss, .coalesced, .bypass, .pass: source = "upstream"
        // Reprise's own error bodies come from neither; an aborted response's bytes are in `requests` only.
        case .error, .aborted, .local: source = nil
        }
        return RequestSeries(
            requests: self.registry.makeCounter(
                descriptor: Family.requests,
                labels: rule + [
                    ("upstream", Self.name(key.upstream)),
                    ("cache", key.outcome.rawValue),
                    ("status_class", Self.statusClasses[key.statusClass]),
                ]
            ),
            outcome: outcome,
            bytes: source.map { self.registry.makeCounter(descriptor: Family.bytes, labels: [("source", $0)]) },
            upstreamDuration: nil
        )
    }

    /// Label ids (40 bits), outcome and status class in one integer.
    @inline(__always)
    public static func fastKey(_ record: RequestRecord) -> Int {
        let statusClass = (100...599).contains(record.status) ? record.status / 100 : 0
        return record.labelIDs << 12 | record.phase.index << 4 | statusClass
    }

    /// A configured name as a label value: "" (no rule or upstream matched) becomes "-".
    public static func name(_ configured: String) -> String {
        configured.isEmpty ? "-" : configured
    }
}

// MARK: - Label sets

extension MetricsObserver {
    /// Index 0 is "other" (no status was sent, or one outside 100...599).
    public static let statusClasses = ["other", "1xx", "2xx", "3xx", "4xx", "5xx"]

    /// `Cache-Status` detail tokens that may become a bypass `reason`; any other detail is "other", and an empty
    /// one "-", so that a detail can never widen the label set.
    public static let purgeSources: Set<String> = ["write", "rfc9111", "admin", "fleet", "fleet-resync"]

    /// Upstream response-head latency buckets, 5 ms to a minute (seconds).
    public static let upstreamDurationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
}

/// The label set of one request, built from the record without building any string.
public struct RequestSeriesKey: Hashable, Sendable {
    public var rule: String
    public var upstream: String
    public var outcome: CachePhase
    /// An index into `MetricsObserver.statusClasses`.
    public var statusClass: Int
    /// The bypass reason label; "" for every other outcome.
    public var reason: String

    public init(_ record: RequestRecord) {
        self.rule = record.rule
        self.upstream = record.upstream
        self.outcome = record.phase
        self.statusClass = (100...599).contains(record.status) ? record.status / 100 : 0
        if record.phase == .bypass {
            self.reason = record.outcome.reason?.metricLabel ?? "-"
        } else {
            self.reason = ""
        }
    }
}

public struct RequestSeries: Sendable {
    public let requests: Counter
    /// The per-rule hit, miss, stale, coalesced or bypass counter; nil for pass and error.
    public let outcome: Counter?
    /// `reprise_bytes_total{source}`; nil for Reprise's own errors.
    public let bytes: Counter?
    /// Created once a record of this label set has gone upstream.
    public var upstreamDuration: ValueHistogram?
}

public struct PurgeSeriesKey: Hashable, Sendable {
    public var rule: String
    public var source: String
}

public struct PurgeSeries: Sendable {
    public let purges: Counter
    public let dropped: Counter
}

public struct UpstreamErrorSeriesKey: Hashable, Sendable {
    public var upstream: String
    public var kind: UpstreamErrorKind
}

public struct SeriesCache: Sendable {
    public var requests: [RequestSeriesKey: RequestSeries] = [:]
    /// The same series by `MetricsObserver.fastKey` (non-bypass records of routed requests).
    public var fast: [Int: RequestSeries] = [:]
    public var purges: [PurgeSeriesKey: PurgeSeries] = [:]
    public var upstreamErrors: [UpstreamErrorSeriesKey: Counter] = [:]
}
