import CacheStore
import Foundation
import HTTPCaching
import NIOCore
import NIOHTTP1

/// `eviction-replay TRACE [--budget-fraction 0.25]`: replays a request trace (bench/book-trace.py) against the memory tier
/// with LRU and with GreedyDual-Size-Frequency, in one run, and prints what each avoided upstream. Each request is
/// looked up; a miss stores the response as the proxy would (the rule's cost for text-to-speech, `cost_header`
/// characters; the upstream's latency for Gemini, whose rules have no cost header); the budget is a fraction of the
/// working set (every distinct response, in the store's own accounting).
@main
struct EvictionReplay {
    struct Event {
        var t: Double
        var kind: String
        var key: String
        var path: String
        var bytes: Int
        var units: Int
        var latency: Double
        var ttl: Double
    }

    struct Outcome {
        var name: String
        var hits = 0
        var requests = 0
        var bytesHit = 0
        var bytes = 0
        var units: [String: Int] = [:]
        var evictions = 0
    }

    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: eviction-replay TRACE.jsonl [--budget-fraction 0.25]\n".utf8))
            exit(2)
        }
        var fraction = 0.25
        if let index = arguments.firstIndex(of: "--budget-fraction"), index + 1 < arguments.count {
            fraction = Double(arguments[index + 1]) ?? fraction
        }
        let events = try Self.read(arguments[1])
        var distinct: [String: Int] = [:]
        for event in events where distinct[event.key] == nil {
            distinct[event.key] = Self.entry(event).cost
        }
        let workingSet = distinct.values.reduce(0, +)
        let budget = Int(Double(workingSet) * fraction)
        print("trace: \(events.count) requests, \(distinct.count) distinct responses, working set \(Self.mib(workingSet)) MiB (accounted); budget \(Self.mib(budget)) MiB")
        let lru = Self.replay(events, store: MemoryStore<LRUPolicy>(budget: budget, maxObject: 32 << 20), name: "LRU")
        let gdsf = Self.replay(events, store: MemoryStore<GDSFPolicy>(budget: budget, maxObject: 32 << 20), name: "GDSF")
        print("")
        print("| policy | hit ratio | byte hit ratio | characters avoided | tokens avoided | evictions |")
        print("|---|---:|---:|---:|---:|---:|")
        for outcome in [lru, gdsf] {
            let tokens = (outcome.units["story"] ?? 0) + (outcome.units["prompt"] ?? 0)
            print(
                "| \(outcome.name) | \(Self.percent(outcome.hits, outcome.requests)) | \(Self.percent(outcome.bytesHit, outcome.bytes)) "
                    + "| \(outcome.units["tts"] ?? 0) | \(tokens) | \(outcome.evictions) |"
            )
        }
        let lruTokens = (lru.units["story"] ?? 0) + (lru.units["prompt"] ?? 0)
        let gdsfTokens = (gdsf.units["story"] ?? 0) + (gdsf.units["prompt"] ?? 0)
        print("")
        print("GDSF / LRU: characters \(Self.ratio(gdsf.units["tts"] ?? 0, lru.units["tts"] ?? 0)), tokens \(Self.ratio(gdsfTokens, lruTokens)), "
            + "characters and tokens together \(Self.ratio((gdsf.units["tts"] ?? 0) + gdsfTokens, (lru.units["tts"] ?? 0) + lruTokens)); "
            + "hit ratio \(Self.points(gdsf, lru)) points")
    }

    static func replay<Policy>(_ events: [Event], store: MemoryStore<Policy>, name: String) -> Outcome {
        var outcome = Outcome(name: name)
        for event in events {
            outcome.requests += 1
            outcome.bytes += event.bytes
            switch store.lookup(key: event.key, path: event.path, now: event.t, matching: { _ in true }) {
            case .hit:
                outcome.hits += 1
                outcome.bytesHit += event.bytes
                outcome.units[event.kind, default: 0] += event.units
            case .miss, .varyMiss:
                let traits = EntryTraits(cost: event.kind == "tts" ? Double(event.units) : event.latency)
                store.insert(Self.entry(event), traits: traits, now: event.t)
            }
        }
        outcome.evictions = store.statistics.evictions
        return outcome
    }

    /// A response of the event's size with a realistic head (~300 bytes).
    static func entry(_ event: Event) -> CachedResponse {
        let headers = HTTPHeaders([
            ("content-type", event.kind == "tts" ? "audio/mpeg" : "application/json"),
            ("content-length", String(event.bytes)),
            ("date", "Mon, 07 Dec 2026 01:00:00 GMT"),
            ("etag", "\"reprise-0123456789abcdef01234567\""),
            ("reprise-cache-key", "0123456789abcdef"),
            ("x-request-id", "b7e1f3a2c4d5e6f708192a3b4c5d6e7f"),
            ("vary", "Accept-Encoding"),
            ("server", "upstream"),
        ])
        let freshness = Freshness(lifetime: event.ttl, source: .rule, correctedInitialAge: 0, responseTime: event.t)
        let target = String(event.key.split(separator: " ")[1])
        return CachedResponse(
            key: event.key,
            target: target,
            partition: "app-key",
            vary: .empty,
            status: 200,
            headers: headers,
            body: [ByteBuffer(repeating: 0x55, count: event.bytes)],
            info: StoredResponseInfo(status: 200, responseHeaders: headers, freshness: freshness),
            tags: [],
            evictAt: event.t + event.ttl
        )
    }

    static func read(_ path: String) throws -> [Event] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let t = object["t"] as? Double, let kind = object["kind"] as? String, let key = object["key"] as? String,
                let path = object["path"] as? String, let bytes = object["bytes"] as? Int, let units = object["units"] as? Int,
                let latency = object["latency_ms"] as? Double ?? (object["latency_ms"] as? Int).map(Double.init),
                let ttl = object["ttl"] as? Double ?? (object["ttl"] as? Int).map(Double.init)
            else { throw CocoaError(.fileReadCorruptFile) }
            return Event(t: t, kind: kind, key: key, path: path, bytes: bytes, units: units, latency: latency, ttl: ttl)
        }
    }

    static func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
    static func percent(_ part: Int, _ whole: Int) -> String { String(format: "%.1f%%", 100 * Double(part) / Double(max(1, whole))) }
    static func ratio(_ a: Int, _ b: Int) -> String { String(format: "%.3f", Double(a) / Double(max(1, b))) }
    static func points(_ a: Outcome, _ b: Outcome) -> String {
        String(format: "%+.1f", 100 * (Double(a.hits) / Double(max(1, a.requests)) - Double(b.hits) / Double(max(1, b.requests))))
    }
}
