import CacheStore
import NIOConcurrencyHelpers
import ProxyConfig
import RedisCache

/// Translates between purges as every instance reads them (`FleetPurge`, text patterns) and this instance's L1
/// (`PurgeSelector`).
enum FleetBridge {
    /// The L1 selector for a fleet purge; nil for `.all` (the whole store).
    static func selector(_ purge: FleetPurge, patterns: PatternCache) -> PurgeSelector? {
        let partition = purge.partition
        switch purge.selector {
        case .target(let target): return .target(target, partition: partition)
        case .path(let path): return .path(path, partition: partition)
        case .prefix(let prefix): return .prefix(prefix, partition: partition)
        case .tag(let tag): return .tag(tag, partition: partition)
        case .key(let id): return .keyID(id)
        case .pattern(let text):
            guard let pattern = patterns.pattern(text) else { return nil }
            return .pathMatching({ pattern.matches(path: $0) }, partition: partition)
        case .all: return nil
        }
    }

    /// The fleet's hooks into one proxy: purges from other instances and whole-L1 drops, each recorded.
    static func hooks(for proxy: ProxyContext) -> RedisFleet.Hooks {
        let patterns = proxy.patterns
        return RedisFleet.Hooks(
            applyRemote: { [weak proxy] purges in
                guard let proxy else { return }
                let dropped = proxy.purgeLocally(purges)
                proxy.counters.invalidations.wrappingAdd(dropped, ordering: .relaxed)
                proxy.metrics?.recordPurge(rule: "", source: "fleet", dropped: dropped)
                if dropped > 0 {
                    proxy.purgeLog.record(cause: "purge from another instance", dropped: dropped, now: proxy.clock.now())
                }
            },
            dropLocal: { [weak proxy] reason in
                guard let proxy else { return }
                let dropped = proxy.purgeLocally([FleetPurge(.all)])
                proxy.metrics?.recordPurge(rule: "", source: "fleet-resync", dropped: dropped)
                proxy.purgeLog.record(cause: "L1 dropped: " + reason, dropped: dropped, now: proxy.clock.now())
            },
            patternMatches: { text, path in patterns.pattern(text)?.matches(path: path) ?? false }
        )
    }

    /// Compiled path patterns by their text (the same few configured patterns arrive again and again).
    final class PatternCache: Sendable {
        private let compiled = NIOLockedValueBox<[String: RoutePattern]>([:])

        func pattern(_ text: String) -> RoutePattern? {
            if let known = self.compiled.withLockedValue({ $0[text] }) { return known }
            guard let pattern = try? RoutePattern(parsing: text, requireMethod: false) else { return nil }
            self.compiled.withLockedValue { $0[text] = pattern }
            return pattern
        }
    }
}
