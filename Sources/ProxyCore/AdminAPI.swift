import CacheStore
import Crypto
import DiskCache
import Foundation
import NIOCore
import NIOHTTP1
import RedisCache

/// The admin endpoints, independent of the transport: a request in, a status and a JSON body out.
/// Served only on `admin_listen`, behind `Authorization: Bearer <admin_token>`.
struct AdminAPI: Sendable {
    let server: ProxyServer
    let token: String
    /// The last purges, shown in `/stats` and on the dashboard. Admin purges are recorded here; pass the proxy's
    /// log to have write-invalidation and `[[purge]]` rules appear too.

    struct Reply {
        var status: HTTPResponseStatus
        /// The body: JSON unless `contentType` says otherwise.
        var json: String
        var extraHeaders: [(String, String)] = []
        var contentType = "application/json"
        /// Set when the answer waits for something (a purge reaching the rest of the fleet); it replaces this reply.
        var pending: EventLoopFuture<Reply>? = nil
    }

    func handle(method: HTTPMethod, uri: String, headers: HTTPHeaders, body: [UInt8]) -> Reply {
        let path = uri.pathWithoutQuery
        if method == .GET, path == "/healthz" {
            return Reply(status: .ok, json: #"{"status":"ok"}"#)
        }
        // The dashboard page holds no data (it asks for the token and sends it to /stats itself).
        if method == .GET, path == "/" {
            return self.dashboard()
        }
        guard self.isAuthorized(headers) else {
            return Reply(
                status: .unauthorized,
                json: #"{"error":"missing or wrong bearer token"}"#,
                extraHeaders: [("www-authenticate", "Bearer realm=\"reprise-admin\"")]
            )
        }
        switch (method, path) {
        case (.GET, "/metrics"):
            return self.metrics()
        case (.GET, "/entries"):
            return self.entries(query: uri.contains("?") ? String(uri[uri.index(after: uri.firstIndex(of: "?")!)...]) : "")
        case (.GET, "/partitions"):
            return self.partitions(query: uri.contains("?") ? String(uri[uri.index(after: uri.firstIndex(of: "?")!)...]) : "")
        case (.POST, "/reload"):
            return self.reload()
        case (.GET, "/readyz"):
            // Ready without Redis (L1 and upstream serve), but said to be degraded.
            guard let fleet = self.server.fleet else { return Reply(status: .ok, json: #"{"status":"ready"}"#) }
            return Reply(status: .ok, json: fleet.isHealthy ? #"{"status":"ready","redis":"ok"}"# : #"{"status":"ready","redis":"degraded"}"#)
        case (.GET, "/stats"):
            return Reply(status: .ok, json: self.stats())
        case (.POST, "/purge"):
            return self.purge(body: body)
        case (.PURGE, _), (.RAW(value: "PURGE"), _):
            let outcome = self.server.proxy.purge([Purge(.target(uri))], scope: .everywhere)
            let now = self.server.proxy.clock.now()
            self.server.proxy.purgeLog.record(cause: "PURGE " + Self.redactedQuery(uri), dropped: outcome.dropped, now: now)
            self.server.metricsObserver?.recordPurge(rule: "", source: "admin", dropped: outcome.dropped)
            return self.purgeReply(outcome)
        default:
            return Reply(status: .notFound, json: #"{"error":"no such admin endpoint"}"#)
        }
    }

    // MARK: - Endpoints

    private func purge(body: [UInt8]) -> Reply {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return Reply(
                status: .badRequest,
                json: #"{"error":"expected a JSON object like {\"urls\":[],\"tags\":[],\"prefixes\":[],\"keys\":[]}"}"#
            )
        }
        func strings(_ key: String) -> [String]? {
            guard let value = object[key] else { return [] }
            return value as? [String]
        }
        guard let urls = strings("urls"), let tags = strings("tags"), let prefixes = strings("prefixes"),
            let keys = strings("keys")
        else {
            return Reply(status: .badRequest, json: #"{"error":"urls, tags, prefixes and keys must be arrays of strings"}"#)
        }
        // Key ids are what `Reprise-Cache-Key` shows: 16 lower-case hex digits.
        if let bad = keys.first(where: { !Self.isKeyID($0) }) {
            return Reply(
                status: .badRequest,
                json: "{\"error\":\"\(ErrorResponse.escape(String(bad.prefix(40)))) is not a cache key id: "
                    + "use the 16 hex digits of a Reprise-Cache-Key response field\"}"
            )
        }
        let purges = urls.map { Purge(.target(Self.target(of: $0))) } + tags.map { Purge(.tag($0)) }
            + prefixes.map { Purge(.prefix($0)) } + keys.map { Purge(.key($0)) }
        let outcome = self.server.proxy.purge(purges, scope: .everywhere)
        let dropped = outcome.dropped
        let named = [
            ("urls", urls.map { Self.redactedQuery(Self.target(of: $0)) }),
            ("tags", tags),
            ("prefixes", prefixes.map(Self.redactedQuery)),
            ("keys", keys),
        ]
        let cause = named.filter { !$0.1.isEmpty }
            .map { "\($0.0): \($0.1.joined(separator: ", "))" }
            .joined(separator: "; ")
        self.server.proxy.purgeLog.record(cause: "POST /purge " + cause, dropped: dropped, now: self.server.proxy.clock.now())
        self.server.metricsObserver?.recordPurge(rule: "", source: "admin", dropped: dropped)
        return self.purgeReply(outcome)
    }

    /// `{"purged":N}` with each local tier's count when there is more than memory (`"tiers":{"memory":N,"disk":M}`);
    /// in fleet mode once L2 and the other instances have dropped it too, with what they did.
    private func purgeReply(_ outcome: TieredStore<CachePolicy>.PurgeOutcome) -> Reply {
        var json = "{\"purged\":\(outcome.dropped)"
        if outcome.byTier.count > 1 {
            json += ",\"tiers\":{" + outcome.byTier.map { "\"\($0.tier)\":\($0.dropped)" }.joined(separator: ",") + "}"
        }
        guard let fleet = outcome.pending.first(where: { $0.tier == "l2" }) else {
            return Reply(status: .ok, json: json + "}")
        }
        let local = json
        let pending = fleet.report.map { report -> Reply in
            Reply(status: .ok, json: local + ",\"purged_l2\":\(report.dropped),\"fleet\":\(report.detailJSON ?? "null")}")
        }
        return Reply(status: .ok, json: json + "}", pending: pending)
    }

    private func stats() -> String {
        let counters = self.server.proxy.counters
        let statistics = self.server.store.statistics
        let hits = counters.hits.load(ordering: .relaxed)
        let misses = counters.misses.load(ordering: .relaxed)
        let ratio = hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
        let rules = self.server.proxy.tally.snapshot.sorted { $0.key < $1.key }.map { name, savings in
            "\"\(ErrorResponse.escape(name))\":{\"calls_avoided\":\(savings.callsAvoided),"
                + "\"bytes_from_cache\":\(savings.bytesFromCache),\"cost_saved\":\(savings.costSaved),"
                + "\"calls_billed\":\(savings.callsBilled),\"cost_billed\":\(savings.costBilled)}"
        }.joined(separator: ",")
        let purges = self.server.proxy.purgeLog.recent.map { record in
            "{\"time\":\(record.time),\"cause\":\"\(ErrorResponse.escape(record.cause))\",\"dropped\":\(record.dropped)}"
        }.joined(separator: ",")
        return """
            {"requests":\(counters.requests.load(ordering: .relaxed)),"hits":\(hits),"forwarded":\(misses),\
            "hit_ratio":\(ratio),"stored":\(counters.stored.load(ordering: .relaxed)),\
            "upstream_errors":\(counters.upstreamErrors.load(ordering: .relaxed)),\
            "upstream_protocol_errors":\(counters.upstreamProtocolErrors.load(ordering: .relaxed)),\
            "invalidated":\(counters.invalidations.load(ordering: .relaxed)),\
            "bytes_from_cache":\(counters.bytesFromCache.load(ordering: .relaxed)),\
            "coalesced":\(counters.coalesced.load(ordering: .relaxed)),\
            "connections":\(self.connectionStats()),\
            "memory":{"entries":\(statistics.entries),"bytes":\(statistics.bytes),\
            "budget":\(self.server.store.budget),"evictions":\(statistics.evictions)},"disk":\(self.diskStats()),\
            "rules":{\(rules)},"unmatched_routes":\(self.server.proxy.unmatched.json()),\
            "recent_purges":[\(purges)],"redis":\(self.redisStats())}
            """
    }

    /// The disk tier for `/stats`: `null` without `disk_path`.
    private func diskStats() -> String {
        guard let disk = self.server.disk else { return "null" }
        let s = disk.statistics
        let load = disk.loadReport.map { "{\"entries\":\($0.entries),\"seconds\":\($0.seconds),\"removed\":\($0.removed)}" } ?? "null"
        return """
            {"entries":\(s.entries),"bytes":\(s.bytes),"budget":\(s.budget),"evictions":\(s.evictions),\
            "hits":\(s.hits),"misses":\(s.misses),"writes":\(s.writes),"writes_skipped":\(s.writesSkipped),\
            "corrupt_files":\(s.corrupt),"io_errors":\(s.ioErrors),"loading":\(s.loading),"load":\(load)}
            """
    }

    /// Client connections for `/stats`: open now, refused at accept, unreadable requests, and deadlines that closed one.
    private func connectionStats() -> String {
        let c = MetricsObserver.ClientReading(self.server.proxy.counters)
        return """
            {"open":\(c.open),"refused":\(c.refused),"rejected_requests":\(c.rejected),\
            "timeouts":{"header":\(c.headerTimeouts),"body":\(c.bodyTimeouts),"keepalive":\(c.keepAliveTimeouts),\
            "send":\(c.sendTimeouts)}}
            """
    }

    /// Fleet mode's state for `/stats`: `null` without `[redis]`.
    private func redisStats() -> String {
        guard let fleet = self.server.fleet else { return "null" }
        let status = fleet.status
        let c = status.counters
        let error = status.lastError.map { "\"" + ErrorResponse.escape($0) + "\"" } ?? "null"
        return """
            {"state":"\(status.connected && status.subscribed ? "ok" : "degraded")","connected":\(status.connected),\
            "subscribed":\(status.subscribed),"endpoint":"\(ErrorResponse.escape(status.endpoint))","last_error":\(error),\
            "instance":"\(fleet.instanceID)","purge_sequence":\(status.sequence.map(String.init) ?? "null"),\
            "pending_replay":\(status.pendingReplay),"l2_hits":\(c.l2Hits),"l2_misses":\(c.l2Misses),\
            "l2_writes":\(c.l2Writes),"l2_writes_skipped":\(c.l2WritesSkipped),"purges_published":\(c.purgesPublished),\
            "purges_received":\(c.purgesReceived),"ack_timeouts":\(c.ackTimeouts),"l1_drops":\(c.localDrops),\
            "reconnects":\(c.reconnects),"purge_fanout_ms":\(Self.fanout(status.fanout)),\
            "single_flight":{"coalesced":\(c.flightCoalesced),"led":\(c.flightLed),"takeovers":\(c.flightTakeovers),\
            "fallbacks":\(c.flightFallbacks),"timeouts":\(c.flightTimeouts)}}
            """
    }

    private static func fanout(_ summary: (p50: Double, p99: Double, samples: Int)?) -> String {
        guard let summary else { return "null" }
        func ms(_ seconds: Double) -> String { String(Double(Int(seconds * 1_000_000)) / 1000) }
        return "{\"p50\":\(ms(summary.p50)),\"p99\":\(ms(summary.p99)),\"samples\":\(summary.samples)}"
    }

    // MARK: - Helpers

    /// 16 lower-case hex digits (`CredentialHasher.keyID`).
    static func isKeyID(_ text: String) -> Bool {
        text.utf8.count == 16 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// "http://host/path?q" or "/path?q" → "/path?q".
    static func target(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...])
    }

    /// "/path?q" → "/path?…": a query may carry a credential (`key_query_params`), so logs keep only the path.
    static func redactedQuery(_ target: String) -> String {
        let path = target.pathWithoutQuery
        return path.count == target.count ? target : path + "?…"
    }

    /// Constant-time comparison of the bearer token.
    private func isAuthorized(_ headers: HTTPHeaders) -> Bool {
        guard !self.token.isEmpty, let value = headers.first(name: "authorization") else { return false }
        let prefix = "Bearer "
        guard value.count > prefix.count, value.lowercased().hasPrefix("bearer ") else { return false }
        let presented = Array(value.dropFirst(prefix.count).utf8)
        let expected = Array(self.token.utf8)
        // Compare digests so that the time taken does not depend on where the bytes differ.
        return SHA256.hash(data: presented) == SHA256.hash(data: expected)
    }
}
