import CacheStore
import HTTPCaching
import NIOHTTP1
import ProxyConfig

/// Write-invalidate: what a successful unsafe request makes stale, dropped before its response head leaves.
struct PurgeEngine: Sendable {
    let purges: [PurgeSettings]
    /// Every distinct list of credential headers in the config: a writer's partition is computed under each.
    let keyHeaderSets: [[String]]

    init(configuration: ProxyConfiguration) {
        self.purges = configuration.purges
        var sets: [[String]] = []
        for names in configuration.upstreams.map(\.keyHeaders) + configuration.rules.compactMap(\.keyHeaders)
        where !sets.contains(names) {
            sets.append(names)
        }
        if !sets.contains([]) { sets.append([]) }
        self.keyHeaderSets = sets
    }

    struct Outcome {
        /// Entries dropped in all.
        var dropped = 0
        /// Of those, dropped by RFC 9111 §4.4 (target URI, Location, Content-Location).
        var droppedByRFC = 0
        /// The `[[purge]]` rules that matched, with the entries each dropped.
        var rules: [(name: String, dropped: Int)] = []
    }

    /// RFC 9111 §4.4 targets plus every matching `[[purge]]` rule. `status` must already be a non-error.
    func invalidate(
        method: String,
        path: String,
        target: String,
        requestHeaders: HTTPHeaders,
        responseHeaders: HTTPHeaders,
        status: Int,
        upstream: UpstreamRuntime,
        store: MemoryStore<LRUPolicy>,
        hasher: CredentialHasher
    ) -> Outcome {
        var outcome = Outcome()
        // RFC 9111 §4.4: the target URI and same-origin Location / Content-Location, in every partition.
        var authorities = requestHeaders["host"]
        authorities.append(upstream.settings.url.authority)
        let targets = Invalidation.targets(
            method: method,
            status: status,
            requestPath: target,
            responseHeaders: responseHeaders,
            sameOriginAuthorities: authorities
        )
        for (index, invalidated) in targets.enumerated() {
            // The first target is the client's own; the others are in the upstream's URL space.
            let clientTarget = index == 0 ? invalidated : (upstream.clientPath(forUpstreamPath: invalidated) ?? invalidated)
            outcome.droppedByRFC += store.purge(.target(clientTarget, partition: nil))
        }
        outcome.dropped = outcome.droppedByRFC

        for purge in self.purges where purge.on.contains(where: { $0.matches(method: method, path: path) }) {
            let before = outcome.dropped
            let partitions: [String?] =
                purge.scope == .all
                ? [nil]
                : Array(Set(self.keyHeaderSets.map { hasher.partition(names: $0, headers: requestHeaders) }))
            for partition in partitions {
                for tag in purge.tags { outcome.dropped += store.purge(.tag(tag, partition: partition)) }
                for prefix in purge.prefixes { outcome.dropped += store.purge(.prefix(prefix, partition: partition)) }
                for pattern in purge.paths {
                    outcome.dropped += store.purge(.pathMatching({ pattern.matches(path: $0) }, partition: partition))
                }
            }
            outcome.rules.append((purge.name, outcome.dropped - before))
        }
        return outcome
    }
}
