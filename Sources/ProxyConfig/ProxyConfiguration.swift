/// A whole, validated proxy.conf. Build one with `ConfigLoader`.
public struct ProxyConfiguration: Sendable, Equatable {
    public var server: ServerSettings
    public var cache: CacheSettings
    public var upstreams: [UpstreamSettings]
    /// In file order; the first matching rule wins.
    public var rules: [RuleSettings]
    public var purges: [PurgeSettings]
    public var log: LogSettings
    public var metrics: MetricsSettings
    /// Fleet mode (shared L2 and purge fan-out); nil without `[redis]`.
    public var redis: RedisSettings?
    /// One line for the startup log, free of secrets, e.g.
    /// "3 upstreams (elevenlabs, gemini, backend), 4 rules (1 keyed on the request body), 1 purge rule;
    /// listen 0.0.0.0:8080, admin 127.0.0.1:9090".
    public var summary: String
    /// What `reprise check` prints as warnings, ordered by line: settings that load but probably do not do what
    /// their author meant. Logged at start and on reload.
    public var warnings: [ConfigProblem]

    public init(
        server: ServerSettings = ServerSettings(),
        cache: CacheSettings = CacheSettings(),
        upstreams: [UpstreamSettings],
        rules: [RuleSettings] = [],
        purges: [PurgeSettings] = [],
        log: LogSettings = LogSettings(),
        metrics: MetricsSettings = MetricsSettings(),
        redis: RedisSettings? = nil,
        summary: String? = nil,
        warnings: [ConfigProblem] = []
    ) {
        self.server = server
        self.cache = cache
        self.upstreams = upstreams
        self.rules = rules
        self.purges = purges
        self.log = log
        self.metrics = metrics
        self.redis = redis
        self.warnings = warnings
        self.summary =
            summary
            ?? Self.makeSummary(
                upstreamNames: upstreams.map(\.name),
                ruleCount: rules.count,
                bodyKeyedRuleCount: rules.filter(\.cacheBody).count,
                purgeCount: purges.count,
                listen: server.listen.description,
                admin: server.adminListen?.description
            )
    }

    static func makeSummary(
        upstreamNames: [String],
        ruleCount: Int,
        bodyKeyedRuleCount: Int = 0,
        purgeCount: Int,
        listen: String,
        admin: String?
    ) -> String {
        func count(_ number: Int, _ noun: String) -> String {
            "\(number) \(noun)\(number == 1 ? "" : "s")"
        }
        var text = count(upstreamNames.count, "upstream")
        if !upstreamNames.isEmpty {
            text += " (\(upstreamNames.joined(separator: ", ")))"
        }
        text += ", \(count(ruleCount, "rule"))"
        if bodyKeyedRuleCount > 0 {
            text += " (\(bodyKeyedRuleCount) keyed on the request body)"
        }
        text += ", \(count(purgeCount, "purge rule")); listen \(listen)"
        if let admin {
            text += ", admin \(admin)"
        }
        return text
    }
}
