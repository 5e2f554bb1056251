import ProxyConfig

/// Where a request goes: which upstream, which rule, and the upstream path it maps to.
struct Route {
    let upstream: UpstreamRuntime
    let rule: RuleSettings?
    /// Rule and upstream as packed metrics label ids (`MetricLabelIDs.pack`).
    var labelIDs: Int = 0

    /// Credential headers that partition this route's entries.
    var keyHeaders: [String] { self.rule?.keyHeaders ?? self.upstream.settings.keyHeaders }

    /// Query parameters that carry credentials (Gemini's `?key=`).
    var keyQueryParams: [String] { self.rule?.keyQueryParams ?? self.upstream.settings.keyQueryParams }

    /// A JWT claim that names the account (Kling's `iss`), when the token itself changes on every request.
    var keyJWTClaim: JWTClaimKey? { self.rule?.keyJWTClaim ?? self.upstream.settings.keyJWTClaim }

    /// All the credentials this route keys on.
    var credentialShape: CredentialShape {
        CredentialShape(headers: self.keyHeaders, queryParams: self.keyQueryParams, jwt: self.keyJWTClaim)
    }

    /// Whether any credential partitions this route.
    var hasCredentialKeys: Bool { !self.keyHeaders.isEmpty || !self.keyQueryParams.isEmpty || self.keyJWTClaim != nil }
}

/// Resolves paths to upstreams (longest prefix wins) and requests to rules (first match wins).
struct Router {
    let upstreams: [UpstreamRuntime]
    let rules: [RuleSettings]
    /// `MetricLabelIDs` of `rules`, by index.
    private let ruleLabelIDs: [Int]

    init(upstreams: [UpstreamRuntime], rules: [RuleSettings]) {
        // Longest prefix first, so "/elevenlabs" wins over "/".
        self.upstreams = upstreams.sorted { $0.settings.prefix.utf8.count > $1.settings.prefix.utf8.count }
        self.rules = rules
        self.ruleLabelIDs = rules.map { MetricLabelIDs.id($0.name) }
    }

    func route(method: String, path: String) -> Route? {
        guard let upstream = self.upstream(for: path) else { return nil }
        // A HEAD is answered from the GET entry, so GET rules apply to it.
        let ruleMethod = method == "HEAD" ? "GET" : method
        guard let index = self.rules.firstIndex(where: { $0.match.matches(method: ruleMethod, path: path) }) else {
            return Route(upstream: upstream, rule: nil, labelIDs: MetricLabelIDs.pack(rule: 0, upstream: upstream.labelID))
        }
        return Route(
            upstream: upstream,
            rule: self.rules[index],
            labelIDs: MetricLabelIDs.pack(rule: self.ruleLabelIDs[index], upstream: upstream.labelID)
        )
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
