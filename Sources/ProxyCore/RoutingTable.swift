import HTTPCaching
import NIOCore
import ProxyConfig

/// Everything derived from one version of proxy.conf. A reload builds a new table; requests in flight keep
/// the table they started with, and the cache (which lives outside the table) survives.
final class RoutingTable: Sendable {
    let configuration: ProxyConfiguration
    let router: Router
    let upstreams: [UpstreamRuntime]
    let purges: PurgeEngine

    init(configuration: ProxyConfiguration, group: EventLoopGroup) throws {
        self.configuration = configuration
        self.upstreams = try configuration.upstreams.map { try UpstreamRuntime(settings: $0, group: group) }
        self.router = Router(upstreams: self.upstreams, rules: configuration.rules)
        self.purges = PurgeEngine(configuration: configuration)
    }

    func storagePolicy(for rule: RuleSettings?) -> StoragePolicy {
        StoragePolicy(
            ruleTTL: rule?.ttl?.seconds,
            ttlOverride: rule?.ttlOverride ?? false,
            cacheableStatusCodes: rule?.cacheStatusCodes
        )
    }

    func staleDefaults(for rule: RuleSettings?) -> StaleDefaults {
        let cache = self.configuration.cache
        return StaleDefaults(
            staleWhileRevalidate: (rule?.staleWhileRevalidate ?? cache.staleWhileRevalidate)?.seconds,
            staleIfError: (rule?.staleIfError ?? cache.staleIfError)?.seconds
        )
    }

    /// What a client's `no-cache` may do on this route (`client_refresh`, the rule's or `[cache]`'s).
    func clientRefresh(for rule: RuleSettings?) -> ClientRefresh {
        rule?.clientRefresh ?? self.configuration.cache.clientRefresh
    }

    func shutdown() async {
        for upstream in self.upstreams { await upstream.shutdown() }
    }
}
