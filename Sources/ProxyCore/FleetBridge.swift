import CacheStore
import NIOConcurrencyHelpers
import ProxyConfig
import RedisCache

/// The fleet's hooks into one proxy, and the path patterns purges name by their text.
enum FleetBridge {
    /// Purges from other instances and whole-cache drops, each applied to this instance's own tiers and recorded.
    static func hooks(for proxy: ProxyContext) -> RedisFleet.Hooks {
        let patterns = proxy.patterns
        return RedisFleet.Hooks(
            applyRemote: { [weak proxy] purges in
                guard let proxy else { return }
                let dropped = proxy.purge(purges, scope: .local).dropped
                proxy.counters.invalidations.wrappingAdd(dropped, ordering: .relaxed)
                proxy.metrics?.recordPurge(rule: "", source: "fleet", dropped: dropped)
                if dropped > 0 {
                    proxy.purgeLog.record(cause: "purge from another instance", dropped: dropped, now: proxy.clock.now())
                }
            },
            dropLocal: { [weak proxy] reason in
                guard let proxy else { return }
                // Purges may have been missed: neither memory nor disk can prove it holds nothing they selected.
                let dropped = proxy.purge([Purge(.all)], scope: .local).dropped
                proxy.metrics?.recordPurge(rule: "", source: "fleet-resync", dropped: dropped)
                proxy.purgeLog.record(cause: "local tiers dropped: " + reason, dropped: dropped, now: proxy.clock.now())
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

        /// For the tiers: a pattern's text to a predicate on paths.
        var compiler: PathPatternCompiler {
            { [self] text in
                guard let pattern = self.pattern(text) else { return nil }
                return { pattern.matches(path: $0) }
            }
        }
    }
}
