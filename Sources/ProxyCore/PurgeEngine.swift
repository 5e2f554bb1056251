import HTTPCaching
import NIOHTTP1
import ProxyConfig
import CacheStore

/// Write-invalidate: what a successful unsafe request makes stale, dropped before its response head leaves.
struct PurgeEngine: Sendable {
    let purges: [PurgeSettings]
    /// Every distinct credential shape in the config: a writer's partition is computed under each, so that a
    /// writer-scoped purge reaches the writer's entries whichever way the route keys them.
    let shapes: [CredentialShape]

    init(configuration: ProxyConfiguration) {
        self.purges = configuration.purges
        var shapes: [CredentialShape] = [CredentialShape(headers: [], queryParams: [], jwt: nil)]
        for upstream in configuration.upstreams {
            let base = CredentialShape(headers: upstream.keyHeaders, queryParams: upstream.keyQueryParams, jwt: upstream.keyJWTClaim)
            if !shapes.contains(base) { shapes.append(base) }
            for rule in configuration.rules {
                let shape = CredentialShape(
                    headers: rule.keyHeaders ?? base.headers,
                    queryParams: rule.keyQueryParams ?? base.queryParams,
                    jwt: rule.keyJWTClaim ?? base.jwt
                )
                if !shapes.contains(shape) { shapes.append(shape) }
            }
        }
        self.shapes = shapes
    }

    struct Outcome {
        /// Entries dropped in all.
        var dropped = 0
        /// Of those, dropped by RFC 9111 §4.4 (target URI, Location, Content-Location).
        var droppedByRFC = 0
        /// The `[[purge]]` rules that matched, with the entries each dropped.
        var rules: [(name: String, dropped: Int)] = []
        /// The same purges for the rest of the fleet (L2 and the other instances' L1).
        var fleet: [Purge] = []
    }

    /// RFC 9111 §4.4 targets plus every matching `[[purge]]` rule. `status` must already be a non-error.
    func invalidate(
        method: String,
        path: String,
        target: String,
        request: HTTPRequestHead,
        responseHeaders: HTTPHeaders,
        status: Int,
        upstream: UpstreamRuntime,
        hasher: CredentialHasher,
        now: Double,
        purge: ([Purge]) -> Int
    ) -> Outcome {
        var outcome = Outcome()
        // RFC 9111 §4.4: the target URI and same-origin Location / Content-Location, in every partition.
        var authorities = request.headers["host"]
        authorities.append(upstream.hostField)
        let targets = Invalidation.targets(
            method: method,
            status: status,
            requestPath: target,
            responseHeaders: responseHeaders,
            sameOriginAuthorities: authorities
        )
        let rfcPurges = targets.enumerated().map { index, invalidated in
            // The first target is the client's own; the others are in the upstream's URL space.
            Purge(.target(index == 0 ? invalidated : (upstream.clientPath(forUpstreamPath: invalidated) ?? invalidated)))
        }
        outcome.droppedByRFC = purge(rfcPurges)
        outcome.dropped = outcome.droppedByRFC
        outcome.fleet = rfcPurges

        for rule in self.purges where rule.on.contains(where: { $0.matches(method: method, path: path) }) {
            let partitions: [String?] =
                rule.scope == .all
                ? [nil]
                : Array(Set(self.shapes.map { $0.partition(of: request, hasher: hasher, now: now) }))
            var purges: [Purge] = []
            for partition in partitions {
                purges += rule.tags.map { Purge(.tag($0), partition: partition) }
                purges += rule.prefixes.map { Purge(.prefix($0), partition: partition) }
                purges += rule.paths.map { Purge(.pattern($0.path), partition: partition) }
            }
            let dropped = purge(purges)
            outcome.dropped += dropped
            outcome.rules.append((rule.name, dropped))
            outcome.fleet += purges
        }
        return outcome
    }
}
