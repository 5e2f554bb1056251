import NIOPosix
import Testing

@testable import Observability

/// The Prometheus observer, fed known records and purges directly (it is not wired into `ProxyServer` here).
@Suite struct MetricsTests {
    // MARK: - Counting

    @Test func countsAKnownSequenceExactly() throws {
        let metrics = MetricsObserver()
        for record in Self.sequence { metrics.observe(record) }
        metrics.recordPurge(rule: "articles", source: "write", dropped: 3)
        metrics.recordPurge(rule: "", source: "rfc9111", dropped: 1)
        metrics.recordPurge(rule: "", source: "rfc9111", dropped: 1)
        metrics.recordPurge(rule: "", source: "admin", dropped: 0)
        let scrape = try Exposition(Self.scrape(metrics))

        let requests = "reprise_requests_total"
        #expect(scrape[requests, ["rule": "api", "upstream": "origin", "cache": "hit", "status_class": "2xx"]] == 2)
        #expect(scrape[requests, ["rule": "api", "upstream": "origin", "cache": "miss", "status_class": "2xx"]] == 1)
        #expect(scrape[requests, ["rule": "-", "upstream": "origin", "cache": "bypass", "status_class": "2xx"]] == 1)
        #expect(scrape[requests, ["rule": "-", "upstream": "origin", "cache": "pass", "status_class": "2xx"]] == 1)
        #expect(scrape[requests, ["rule": "-", "upstream": "-", "cache": "error", "status_class": "4xx"]] == 1)
        #expect(scrape.total(requests) == Double(Self.sequence.count))

        // A 304 revalidation is a hit; a stale answer is counted apart.
        #expect(scrape["reprise_cache_hits_total", ["rule": "api"]] == 3)
        #expect(scrape["reprise_cache_misses_total", ["rule": "api"]] == 1)
        #expect(scrape["reprise_stale_served_total", ["rule": "api"]] == 1)
        #expect(scrape["reprise_coalesced_total", ["rule": "api"]] == 1)
        #expect(scrape["reprise_bypass_total", ["rule": "-", "reason": "no-credential"]] == 1)

        // Cache: 2 × 100 + 50 + 10. Upstream: 300 + 300 + 40 + 0. Reprise's own 404 body counts for neither.
        #expect(scrape["reprise_bytes_total", ["source": "cache"]] == 260)
        #expect(scrape["reprise_bytes_total", ["source": "upstream"]] == 640)

        // Upstream seconds 0.004, 0.02, 0.2 and 2.
        let duration = "reprise_upstream_duration_seconds"
        #expect(scrape["\(duration)_bucket", ["upstream": "origin", "le": "0.005"]] == 1)
        #expect(scrape["\(duration)_bucket", ["upstream": "origin", "le": "0.025"]] == 2)
        #expect(scrape["\(duration)_bucket", ["upstream": "origin", "le": "0.25"]] == 3)
        #expect(scrape["\(duration)_bucket", ["upstream": "origin", "le": "2.5"]] == 4)
        #expect(scrape["\(duration)_bucket", ["upstream": "origin", "le": "+Inf"]] == 4)
        #expect(scrape["\(duration)_count", ["upstream": "origin"]] == 4)
        #expect(abs((scrape["\(duration)_sum", ["upstream": "origin"]] ?? 0) - 2.224) < 1e-9)
        // Nothing went upstream for the 404 that matched no upstream: no histogram for "-".
        #expect(scrape["\(duration)_count", ["upstream": "-"]] == nil)

        #expect(scrape["reprise_purges_total", ["rule": "articles", "source": "write"]] == 1)
        #expect(scrape["reprise_purges_total", ["rule": "-", "source": "rfc9111"]] == 2)
        #expect(scrape["reprise_purges_total", ["rule": "-", "source": "admin"]] == 1)
        #expect(scrape["reprise_purged_entries_total", ["rule": "articles", "source": "write"]] == 3)
        #expect(scrape["reprise_purged_entries_total", ["rule": "-", "source": "rfc9111"]] == 2)
        #expect(scrape["reprise_purged_entries_total", ["rule": "-", "source": "admin"]] == 0)

        #expect(scrape["reprise_redis_up", [:]] == 0)
    }

    /// Connections count through their loop's cache of series: the same records, spread over two event loops and
    /// with routed label ids (the lock-free fast path), give exactly the scrape of the shared observer.
    @Test func loopCachesCountExactlyLikeTheSharedObserver() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let routed = Self.sequence.map { record -> RequestRecord in
            var record = record
            if !record.upstream.isEmpty {
                record.labelIDs = MetricLabelIDs.pack(
                    rule: MetricLabelIDs.id(record.rule.isEmpty ? nil : record.rule),
                    upstream: MetricLabelIDs.id(record.upstream)
                )
            }
            return record
        }
        let direct = MetricsObserver()
        let looped = MetricsObserver(group: group)
        let loops = Array(group.makeIterator())
        // Twice over, so that the second round finds every series in the loops' caches.
        for round in 0..<2 {
            for (index, record) in routed.enumerated() {
                direct.observe(record)
                let loop = loops[(index + round) % loops.count]
                let observer = looped.observer(on: loop)
                #expect(observer is MetricsLoopObserver)
                try loop.submit { observer.observe(record) }.wait()
            }
        }
        // The same series and values (their order in the text follows the order they were created in).
        #expect(Self.scrape(looped).split(separator: "\n").sorted() == Self.scrape(direct).split(separator: "\n").sorted())
        let scrape = try Exposition(Self.scrape(looped))
        #expect(scrape["reprise_cache_hits_total", ["rule": "api"]] == 6)
        #expect(scrape["reprise_upstream_duration_seconds_count", ["upstream": "origin"]] == 8)
    }

    @Test func scrapeTimeValuesFollowTheStoreAndTheTally() throws {
        let metrics = MetricsObserver()
        let first = try Exposition(
            metrics.exposition(
                store: .init(entries: 5, bytes: 1234, budget: 1 << 20, evictions: 2),
                savings: ["api": .init(callsAvoided: 3, bytesFromCache: 260, costSaved: 30)]
            )
        )
        let l1 = ["tier": "l1"]
        #expect(first["reprise_cache_entries", l1] == 5)
        #expect(first["reprise_cache_bytes", l1] == 1234)
        #expect(first["reprise_cache_budget_bytes", l1] == 1_048_576)
        #expect(first["reprise_evictions_total", l1] == 2)
        #expect(first["reprise_upstream_calls_avoided_total", ["rule": "api"]] == 3)
        #expect(first["reprise_bytes_from_cache_total", ["rule": "api"]] == 260)
        #expect(first["reprise_cost_saved_total", ["rule": "api"]] == 30)

        // Later scrapes publish the new totals, not the sum of every scrape.
        let second = try Exposition(
            metrics.exposition(
                store: .init(entries: 1, bytes: 10, budget: 1 << 20, evictions: 7),
                savings: [
                    "api": .init(callsAvoided: 4, bytesFromCache: 300, costSaved: 40),
                    "static": .init(callsAvoided: 1, bytesFromCache: 5, costSaved: 0),
                ]
            )
        )
        #expect(second["reprise_cache_entries", l1] == 1)
        #expect(second["reprise_cache_bytes", l1] == 10)
        #expect(second["reprise_evictions_total", l1] == 7)
        #expect(second["reprise_upstream_calls_avoided_total", ["rule": "api"]] == 4)
        #expect(second["reprise_bytes_from_cache_total", ["rule": "api"]] == 300)
        #expect(second["reprise_cost_saved_total", ["rule": "api"]] == 40)
        #expect(second["reprise_upstream_calls_avoided_total", ["rule": "static"]] == 1)

        // A total that went down (a new store) resets the counter to it.
        let third = try Exposition(
            metrics.exposition(store: .init(entries: 0, bytes: 0, budget: 1 << 20, evictions: 1), savings: [:])
        )
        #expect(third["reprise_evictions_total", l1] == 1)
        #expect(third["reprise_upstream_calls_avoided_total", ["rule": "api"]] == 4)
    }

    // MARK: - Bounded labels

    @Test func junkInputStaysWithinTheBoundedLabelSets() throws {
        let metrics = MetricsObserver()
        for index in 0..<500 {
            metrics.observe(Self.record(.bypass, rule: "api", status: 200, reason: .condition("xyz-\(index)")))
        }
        metrics.observe(Self.record(.bypass, rule: "api", status: 200, reason: .condition("xyz")))
        metrics.observe(Self.record(.bypass, rule: "api", status: 200, reason: nil))
        metrics.observe(Self.record(.bypass, rule: "api", status: 200, reason: .proxy(.rule)))
        metrics.observe(Self.record(.miss, rule: "api", status: 0))
        metrics.observe(Self.record(.miss, rule: "api", status: 999))
        metrics.observe(Self.record(.miss, rule: "api", status: 101))
        metrics.observe(Self.record(.miss, rule: "api", status: 599))
        metrics.recordPurge(rule: "articles", source: "bogus", dropped: 1)
        let scrape = try Exposition(Self.scrape(metrics))

        #expect(scrape["reprise_bypass_total", ["rule": "api", "reason": "other"]] == 501)
        #expect(scrape["reprise_bypass_total", ["rule": "api", "reason": "-"]] == 1)
        #expect(scrape["reprise_bypass_total", ["rule": "api", "reason": "rule"]] == 1)
        #expect(scrape.samples(named: "reprise_bypass_total").count == 3)
        let miss = ["rule": "api", "upstream": "origin", "cache": "miss"]
        #expect(scrape["reprise_requests_total", miss.merging(["status_class": "other"]) { $1 }] == 2)
        #expect(scrape["reprise_requests_total", miss.merging(["status_class": "1xx"]) { $1 }] == 1)
        #expect(scrape["reprise_requests_total", miss.merging(["status_class": "5xx"]) { $1 }] == 1)
        #expect(scrape["reprise_purges_total", ["rule": "articles", "source": "other"]] == 1)

        let reasons = OutcomeReason.metricLabels.union(["-"])
        let outcomes = Set(CachePhase.allCases.map(\.rawValue))
        for sample in scrape.samples {
            if let reason = sample.labels["reason"] { #expect(reasons.contains(reason)) }
            if let status = sample.labels["status_class"] { #expect(MetricsObserver.statusClasses.contains(status)) }
            if let cache = sample.labels["cache"] { #expect(outcomes.contains(cache)) }
            if let source = sample.labels["source"] {
                #expect(["write", "rfc9111", "admin", "other", "cache", "upstream"].contains(source))
            }
        }
    }

    // MARK: - Format

    @Test func theExpositionParsesLineByLine() throws {
        let metrics = MetricsObserver()
        for record in Self.sequence { metrics.observe(record) }
        // A configured name with characters that must be escaped in a label value.
        metrics.observe(Self.record(.hit, rule: #"we"ird\name"#, status: 200))
        metrics.recordPurge(rule: "articles", source: "write", dropped: 2)
        let text = Self.scrape(metrics)
        let scrape = try Exposition(text)

        #expect(!scrape.samples.isEmpty)
        #expect(scrape["reprise_cache_hits_total", ["rule": #"we"ird\name"#]] == 1)
        for line in text.split(separator: "\n") where line.hasPrefix("#") {
            let words = line.split(separator: " ", maxSplits: 3)
            #expect(words.count >= 4 && (words[1] == "HELP" || words[1] == "TYPE"), "\(line)")
        }
        // Every sample's family has a TYPE line.
        let typed = Set(
            text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
        )
        for sample in scrape.samples {
            let histogramSuffix = ["_bucket", "_sum", "_count"].first { sample.name.hasSuffix($0) }
            let family =
                sample.name.hasPrefix("reprise_upstream_duration") && histogramSuffix != nil
                ? String(sample.name.dropLast(histogramSuffix!.count)) : sample.name
            #expect(typed.contains(family), "\(sample.name) has no TYPE line")
        }
        #expect(text.contains("# HELP reprise_redis_up "))
        #expect(text.contains("0 without [redis]"))
    }

    @Test func observersInOneProcessDoNotShareSeries() throws {
        let one = MetricsObserver()
        let two = MetricsObserver()
        one.observe(Self.record(.hit, rule: "api", status: 200))
        one.observe(Self.record(.hit, rule: "api", status: 200))
        two.observe(Self.record(.hit, rule: "api", status: 200))
        #expect(try Exposition(Self.scrape(one))["reprise_cache_hits_total", ["rule": "api"]] == 2)
        #expect(try Exposition(Self.scrape(two))["reprise_cache_hits_total", ["rule": "api"]] == 1)
    }

    @Test func concurrentObservationsAreAllCounted() async throws {
        let metrics = MetricsObserver()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<1000 {
                        let outcome: CachePhase = (task + index) % 2 == 0 ? .hit : .miss
                        metrics.observe(Self.record(outcome, rule: "r\(index % 4)", status: 200, upstreamSeconds: 0.01))
                    }
                }
            }
        }
        let scrape = try Exposition(Self.scrape(metrics))
        #expect(scrape.total("reprise_requests_total") == 8000)
        #expect(scrape.total("reprise_cache_hits_total") == 4000)
        #expect(scrape.total("reprise_cache_misses_total") == 4000)
        #expect(scrape["reprise_upstream_duration_seconds_count", ["upstream": "origin"]] == 8000)
    }

    // MARK: - Fixtures

    static let sequence: [RequestRecord] = [
        record(.hit, rule: "api", status: 200, bytes: 100),
        record(.hit, rule: "api", status: 200, bytes: 100),
        record(.revalidated, rule: "api", status: 200, bytes: 50, upstreamSeconds: 0.02),
        record(.miss, rule: "api", status: 200, bytes: 300, upstreamSeconds: 0.2),
        record(.stale, rule: "api", status: 200, bytes: 10),
        record(.coalesced, rule: "api", status: 200, bytes: 300),
        record(.bypass, rule: "", status: 201, bytes: 40, reason: .proxy(.noCredential), upstreamSeconds: 2),
        record(.pass, rule: "", status: 204, upstreamSeconds: 0.004),
        record(.error, rule: "", upstream: "", status: 404, bytes: 20),
    ]

    static func record(
        _ phase: CachePhase,
        rule: String,
        upstream: String = "origin",
        status: Int,
        bytes: Int = 0,
        reason: OutcomeReason? = nil,
        upstreamSeconds: Double? = nil
    ) -> RequestRecord {
        var record = RequestRecord()
        record.method = "GET"
        record.target = "/x"
        record.rule = rule
        record.upstream = upstream
        record.status = status
        record.outcome = RequestOutcome(phase, reason: reason)
        record.bytes = bytes
        record.upstreamSeconds = upstreamSeconds
        return record
    }

    static func scrape(_ metrics: MetricsObserver) -> String {
        metrics.exposition(store: .init(entries: 0, bytes: 0, budget: 1 << 20, evictions: 0), savings: [:])
    }
}

// MARK: - A strict reader of the text format

/// Parses Prometheus text format 0.0.4 strictly: every line that is not a comment must be
/// `name{label="value",...} value` or `name value`, or parsing throws.
struct Exposition {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var description: String { "malformed exposition line: \(self.line)" }
    }

    let samples: [Sample]

    init(_ text: String) throws {
        var samples: [Sample] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            guard let sample = Self.parse(Array(line)) else { throw Malformed(line: String(line)) }
            samples.append(sample)
        }
        self.samples = samples
    }

    subscript(name: String, labels: [String: String]) -> Double? {
        let matches = self.samples.filter { $0.name == name && $0.labels == labels }
        return matches.count == 1 ? matches[0].value : nil
    }

    func samples(named name: String) -> [Sample] { self.samples.filter { $0.name == name } }

    func total(_ name: String) -> Double { self.samples(named: name).reduce(0) { $0 + $1.value } }

    private static func parse(_ chars: [Character]) -> Sample? {
        var index = 0
        func isNameCharacter(_ c: Character, first: Bool) -> Bool {
            c == "_" || c == ":" || (c.isASCII && c.isLetter) || (!first && c.isASCII && c.isNumber)
        }
        func readName() -> String? {
            let start = index
            while index < chars.count, isNameCharacter(chars[index], first: index == start) { index += 1 }
            return index > start ? String(chars[start..<index]) : nil
        }
        guard let name = readName() else { return nil }
        var labels: [String: String] = [:]
        if index < chars.count, chars[index] == "{" {
            index += 1
            while index < chars.count, chars[index] != "}" {
                guard let key = readName(), index + 1 < chars.count else { return nil }
                guard chars[index] == "=", chars[index + 1] == "\"" else { return nil }
                index += 2
                var value = ""
                while index < chars.count, chars[index] != "\"" {
                    if chars[index] == "\\" {
                        index += 1
                        guard index < chars.count else { return nil }
                        switch chars[index] {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: return nil
                        }
                    } else {
                        value.append(chars[index])
                    }
                    index += 1
                }
                guard index < chars.count, labels[key] == nil else { return nil }
                labels[key] = value
                index += 1
                if index < chars.count, chars[index] == "," { index += 1 }
            }
            guard index < chars.count else { return nil }
            index += 1
        }
        guard index < chars.count, chars[index] == " " else { return nil }
        let text = String(chars[(index + 1)...])
        let value: Double?
        switch text {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default: value = Double(text)
        }
        guard let value else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}
