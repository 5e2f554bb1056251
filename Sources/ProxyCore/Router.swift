import Observability
import ProxyConfig

/// Where a request goes: which upstream, which rule, and the upstream path it maps to.
///
/// A class, made once per (upstream, rule) pair when the table is built: a request takes one reference to it, not
/// a copy of the rule's settings (a struct of a few dozen fields, each string and array of which a copy retains).
final class Route: Sendable {
    let upstream: UpstreamRuntime
    let rule: RuleSettings?
    /// Rule and upstream as packed metrics label ids (`MetricLabelIDs.pack`).
    let labelIDs: Int
    /// All the credentials this route keys on (the rule's keys where it sets them, else the upstream's).
    let credentialShape: CredentialShape

    init(upstream: UpstreamRuntime, rule: RuleSettings?, labelIDs: Int) {
        self.upstream = upstream
        self.rule = rule
        self.labelIDs = labelIDs
        self.credentialShape = CredentialShape(
            headers: rule?.keyHeaders ?? upstream.settings.keyHeaders,
            queryParams: rule?.keyQueryParams ?? upstream.settings.keyQueryParams,
            jwt: rule?.keyJWTClaim ?? upstream.settings.keyJWTClaim
        )
    }

    /// Credential headers that partition this route's entries.
    var keyHeaders: [String] { self.credentialShape.headers }

    /// Query parameters that carry credentials (Gemini's `?key=`).
    var keyQueryParams: [String] { self.credentialShape.queryParams }

    /// A JWT claim that names the account (Kling's `iss`), when the token itself changes on every request.
    var keyJWTClaim: JWTClaimKey? { self.credentialShape.jwt }

    /// Whether any credential partitions this route.
    var hasCredentialKeys: Bool { !self.keyHeaders.isEmpty || !self.keyQueryParams.isEmpty || self.keyJWTClaim != nil }
}

/// Resolves paths to upstreams (longest prefix wins) and requests to rules (first match wins).
struct Router {
    let upstreams: [UpstreamRuntime]
    let rules: [RuleSettings]
    /// Every (upstream, rule) pair's route, made once: `routes[u][0]` has no rule, `routes[u][r + 1]` has `rules[r]`.
    private let routes: [[Route]]

    init(upstreams: [UpstreamRuntime], rules: [RuleSettings]) {
        // Longest prefix first, so "/elevenlabs" wins over "/".
        self.upstreams = upstreams.sorted { $0.settings.prefix.utf8.count > $1.settings.prefix.utf8.count }
        self.rules = rules
        let ruleLabelIDs = rules.map { MetricLabelIDs.id($0.name) }
        self.routes = self.upstreams.map { upstream in
            [Route(upstream: upstream, rule: nil, labelIDs: MetricLabelIDs.pack(rule: 0, upstream: upstream.labelID))]
                + rules.indices.map { index in
                    Route(
                        upstream: upstream,
                        rule: rules[index],
                        labelIDs: MetricLabelIDs.pack(rule: ruleLabelIDs[index], upstream: upstream.labelID)
                    )
                }
        }
    }

    func route(method: String, path: String) -> Route? {
        guard let upstream = self.upstreams.firstIndex(where: { Self.path(path, isUnder: $0.settings.prefix) }) else {
            return nil
        }
        // A HEAD is answered from the GET entry, so GET rules apply to it.
        let ruleMethod = method == "HEAD" ? "GET" : method
        guard let index = self.rules.firstIndex(where: { $0.match.matches(method: ruleMethod, path: path) }) else {
            return self.routes[upstream][0]
        }
        return self.routes[upstream][index + 1]
    }

    func upstream(for path: String) -> UpstreamRuntime? {
        for upstream in self.upstreams where Self.path(path, isUnder: upstream.settings.prefix) {
            return upstream
        }
        return nil
    }

    /// "/elevenlabs" covers "/elevenlabs" and "/elevenlabs/..." but not "/elevenlabsX".
    static func path(_ path: String, isUnder prefix: String) -> Bool {
        if prefix == "/" { return path.hasPrefix("/") }
        guard path.hasPrefix(prefix) else { return false }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/") || rest.first == UInt8(ascii: "?")
    }
}
