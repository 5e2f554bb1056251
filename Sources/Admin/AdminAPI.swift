import CacheStore
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Observability
import ProxyCore

/// The admin endpoints, independent of the transport: a request in, a status and a JSON body out.
/// Served only on `admin_listen`, behind `Authorization: Bearer <admin_token>`.
/// It sees the proxy only through `AdminSurface`.
public struct AdminAPI: Sendable {
    let server: any AdminSurface
    let token: String

    public init(server: any AdminSurface, token: String) {
        self.server = server
        self.token = token
    }

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
            guard let healthy = self.server.fleetHealthy else { return Reply(status: .ok, json: #"{"status":"ready"}"#) }
            return Reply(status: .ok, json: healthy ? #"{"status":"ready","redis":"ok"}"# : #"{"status":"ready","redis":"degraded"}"#)
        case (.GET, "/stats"):
            return Reply(status: .ok, json: self.stats())
        case (.POST, "/purge"):
            return self.purge(body: body)
        case (.PURGE, _), (.RAW(value: "PURGE"), _):
            return self.purgeReply(self.server.purge([Purge(.target(uri))], cause: "PURGE " + Self.redactedQuery(uri)))
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
                json: "{\"error\":\"\(JSONText.escape(String(bad.prefix(40)))) is not a cache key id: "
                    + "use the 16 hex digits of a Reprise-Cache-Key response field\"}"
            )
        }
        let purges = urls.map { Purge(.target(Self.target(of: $0))) } + tags.map { Purge(.tag($0)) }
            + prefixes.map { Purge(.prefix($0)) } + keys.map { Purge(.key($0)) }
        let named = [
            ("urls", urls.map { Self.redactedQuery(Self.target(of: $0)) }),
            ("tags", tags),
            ("prefixes", prefixes.map(Self.redactedQuery)),
            ("keys", keys),
        ]
        let cause = named.filter { !$0.1.isEmpty }
            .map { "\($0.0): \($0.1.joined(separator: ", "))" }
            .joined(separator: "; ")
        return self.purgeReply(self.server.purge(purges, cause: "POST /purge " + cause))
    }

    /// `{"purged":N}` with each local tier's count when there is more than memory (`"tiers":{"memory":N,"disk":M}`);
    /// in fleet mode once L2 and the other instances have dropped it too, with what they did.
    private func purgeReply(_ outcome: TieredStore<GDSFPolicy>.PurgeOutcome) -> Reply {
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
        let s = self.server.snapshot()
        let hits = s.hits
        let misses = s.forwarded
        let ratio = hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
        let rules = s.rules.sorted { $0.key < $1.key }.map { name, savings in
            "\"\(JSONText.escape(name))\":{\"calls_avoided\":\(savings.callsAvoided),"
                + "\"bytes_from_cache\":\(savings.bytesFromCache),\"cost_saved\":\(savings.costSaved),"
                + "\"calls_billed\":\(savings.callsBilled),\"cost_billed\":\(savings.costBilled)}"
        }.joined(separator: ",")
        let purges = s.recentPurges.map { record in
            "{\"time\":\(record.time),\"cause\":\"\(JSONText.escape(record.cause))\",\"dropped\":\(record.dropped)}"
        }.joined(separator: ",")
        return """
            {"requests":\(s.requests),"hits":\(hits),"forwarded":\(misses),\
            "hit_ratio":\(ratio),"stored":\(s.stored),\
            "upstream_errors":\(s.upstreamErrors),\
            "upstream_protocol_errors":\(s.upstreamProtocolErrors),\
            "invalidated":\(s.invalidated),\
            "bytes_from_cache":\(s.bytesFromCache),\
            "coalesced":\(s.coalesced),\
            "phases":\(Self.phasesJSON(s.phases)),\
            "connections":\(Self.connectionStats(s.clients)),\
            "memory":{"entries":\(s.memory.entries),"bytes":\(s.memory.bytes),\
            "budget":\(s.memory.budget),"evictions":\(s.memory.evictions)},"disk":\(Self.diskStats(s.disk)),\
            "rules":{\(rules)},"unmatched_routes":\(s.unmatchedRoutesJSON),\
            "recent_purges":[\(purges)],"redis":\(Self.redisStats(s.fleet))}
            """
    }

    /// The disk tier for `/stats`: `null` without `disk_path`.
    private static func diskStats(_ disk: ProxySnapshot.DiskSnapshot?) -> String {
        guard let disk else { return "null" }
        let s = disk.statistics
        let load = disk.load.map { "{\"entries\":\($0.entries),\"seconds\":\($0.seconds),\"removed\":\($0.removed)}" } ?? "null"
        return """
            {"entries":\(s.entries),"bytes":\(s.bytes),"budget":\(s.budget),"evictions":\(s.evictions),\
            "hits":\(s.hits),"misses":\(s.misses),"writes":\(s.writes),"writes_skipped":\(s.writesSkipped),\
            "corrupt_files":\(s.corrupt),"io_errors":\(s.ioErrors),"loading":\(s.loading),"load":\(load)}
            """
    }

    /// Client connections for `/stats`: open now, refused at accept, unreadable requests, and deadlines that closed one.
    private static func connectionStats(_ c: MetricsObserver.ClientReading) -> String {
        return """
            {"open":\(c.open),"refused":\(c.refused),"rejected_requests":\(c.rejected),\
            "timeouts":{"header":\(c.headerTimeouts),"body":\(c.bodyTimeouts),"keepalive":\(c.keepAliveTimeouts),\
            "send":\(c.sendTimeouts)}}
            """
    }

    /// Fleet mode's state for `/stats`: `null` without `[redis]`.
    /// Finished requests by phase: `{"hit":N,"miss":M,…}`, every phase in `CachePhase` order; `null` when they are
    /// not counted (metrics and the access log both off).
    static func phasesJSON(_ phases: [CachePhase: Int]?) -> String {
        guard let phases else { return "null" }
        return "{" + CachePhase.allCases.map { "\"\($0.rawValue)\":\(phases[$0] ?? 0)" }.joined(separator: ",") + "}"
    }

    private static func redisStats(_ fleet: ProxySnapshot.FleetSnapshot?) -> String {
        guard let fleet else { return "null" }
        let status = fleet.status
        let c = status.counters
        let error = status.lastError.map { "\"" + JSONText.escape($0) + "\"" } ?? "null"
        return """
            {"state":"\(status.connected && status.subscribed ? "ok" : "degraded")","connected":\(status.connected),\
            "subscribed":\(status.subscribed),"endpoint":"\(JSONText.escape(status.endpoint))","last_error":\(error),\
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
