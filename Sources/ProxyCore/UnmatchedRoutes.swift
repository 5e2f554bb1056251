import NIOHTTP1
import Observability
import Synchronization

/// The busiest routes that matched no `[[rule]]` and went upstream, for `/stats` and the dashboard: a call that no
/// rule covers is forwarded (and billed) every time, and nothing else says so. A client library that moved from
/// `/v1beta/...` to `/v1/...` shows up here at once.
///
/// Memory is bounded: the Space-Saving algorithm (Metwally et al., 2005) keeps `capacity` counters. A route not
/// tracked replaces the one with the smallest count and inherits that count, so a count is exact until more than
/// `capacity` routes were seen, and after that over-counts by at most the inherited part (`error`), while every route
/// more frequent than 1/capacity of the traffic is always tracked. Recorded on the miss path only (never on a hit).
final class UnmatchedRoutes: Sendable {
    struct Route: Equatable {
        /// "METHOD /path" (no query: a query may carry a credential).
        var route: String
        var upstream: String
        var requests: Int
        /// How much of `requests` may belong to routes this one replaced.
        var error: Int
    }

    let capacity: Int
    private let counters: Mutex<[String: Route]>

    /// Longer paths are cut (an identifier-laden path must not make an entry large).
    static let maxPathLength = 200

    init(capacity: Int = 64) {
        self.capacity = capacity
        self.counters = Mutex([:])
    }

    func record(method: HTTPMethod, path: String, upstream: String) {
        var cut = path
        if cut.utf8.count > Self.maxPathLength {
            cut = String(decoding: cut.utf8.prefix(Self.maxPathLength), as: UTF8.self) + "…"
        }
        let key = method.rawValue + " " + cut
        self.counters.withLock { counters in
            if counters[key] != nil {
                counters[key]!.requests += 1
            } else if counters.count < self.capacity {
                counters[key] = Route(route: key, upstream: upstream, requests: 1, error: 0)
            } else if let smallest = counters.min(by: { $0.value.requests < $1.value.requests }) {
                counters.removeValue(forKey: smallest.key)
                let inherited = smallest.value.requests
                counters[key] = Route(route: key, upstream: upstream, requests: inherited + 1, error: inherited)
            }
        }
    }

    /// The `count` busiest, most requests first (ties by route).
    func top(_ count: Int) -> [Route] {
        let all = self.counters.withLock { Array($0.values) }
        let sorted = all.sorted { $0.requests != $1.requests ? $0.requests > $1.requests : $0.route < $1.route }
        return Array(sorted.prefix(count))
    }

    /// `[{"route":"GET /x","upstream":"name","requests":N}, …]` for `/stats` (`approximate` once a count inherited
    /// another route's).
    func json(top count: Int = 10) -> String {
        let items = self.top(count).map { route in
            "{\"route\":\"\(JSONText.escape(route.route))\","
                + "\"upstream\":\"\(JSONText.escape(route.upstream))\","
                + "\"requests\":\(route.requests)\(route.error > 0 ? ",\"approximate\":true" : "")}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}
