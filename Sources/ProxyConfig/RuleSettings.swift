/// One `[[rule]]`: how requests matching `match` are cached. The first matching rule wins.
public struct RuleSettings: Sendable, Equatable {
    /// `max_keyed_body` when not set: 1 MiB.
    public static let defaultMaxKeyedBody = 1 << 20

    /// Unique, `[a-z0-9_-]+`; used in logs and metric labels.
    public var name: String
    /// "METHOD /path" on the client-facing path (upstream prefix included).
    public var match: RoutePattern
    /// Freshness lifetime when the upstream gives none (or always, with `ttlOverride`).
    public var ttl: Duration?
    /// Use `ttl` even when the upstream sends its own freshness information. Implies `ttl != nil`.
    public var ttlOverride: Bool
    /// Tags stamped on stored entries, for purges.
    public var tags: [String]
    /// Lower-cased headers to key on; replaces the upstream's `keyHeaders` when set.
    public var keyHeaders: [String]?
    /// `Cache-Control` sent to clients in place of the upstream's.
    public var clientCacheControl: String?
    /// Status codes that may be stored (each in 100...599); nil = the RFC 9111 defaults.
    public var cacheStatusCodes: Set<Int>?
    /// Overrides `[cache] stale_while_revalidate` for this route.
    public var staleWhileRevalidate: Duration?
    /// Overrides `[cache] stale_if_error` for this route.
    public var staleIfError: Duration?
    /// false = never cache this route (bypass).
    public var cache: Bool
    /// Key the cache on the canonical request body (design.md §4 `cache_body`), for POST routes
    /// such as text-to-speech.
    public var cacheBody: Bool
    /// JSON Pointers of request-body members left out of the key (e.g. "/user", "/stream"); "" is the
    /// whole body. Only with `cacheBody`.
    public var ignoreBodyFields: [String]
    /// Largest request body that is keyed and cached; larger ones pass through. Only with `cacheBody`.
    public var maxKeyedBody: Int
    /// What a response must be to be stored (`store_if_*`); empty: no condition beyond HTTP's.
    public var storeIf: StoreConditions
    /// Lower-cased response headers removed from hits (per-call values such as "character-cost").
    public var hitDropHeaders: [String]
    /// Keep reading the upstream's response (and store it) when the client disconnects first.
    /// Defaults to `cacheBody`: a body-keyed generation is billed, and the client's retry becomes a hit.
    public var finishOnClientAbort: Bool
    /// Query parameters carrying credentials (e.g. "key"): hashed into the key and removed from the
    /// stored URL. Replaces the upstream's `keyQueryParams` when set.
    public var keyQueryParams: [String]?
    /// Partition by a claim of a JWT; replaces the upstream's `keyJWTClaim` when set.
    public var keyJWTClaim: JWTClaimKey?
    /// What one generation cost upstream (`cost_*`); not configured: the rule counts no cost.
    public var cost: CostSettings

    /// `cost_header`: a lower-cased response header whose whole-number value is the call's cost.
    public var costHeader: String? {
        get { self.cost.header }
        set { self.cost.header = newValue }
    }
    /// Read the per-request controls `Reprise-Cache-TTL` and `Reprise-Cache-Namespace` (and never forward them).
    /// Defaults to `cacheBody`.
    public var clientControls: Bool
    /// The longest `Reprise-Cache-TTL` honoured; longer ones are cut to it. nil: the rule's `ttl`, else one day.
    public var clientTTLMax: Duration?
    /// Overrides `[cache] client_refresh` for this route; nil: the `[cache]` value.
    public var clientRefresh: ClientRefresh?
    /// Line of the rule's `[[rule]]` header, for logs.
    public var line: Int

    /// `client_ttl_max`, else the rule's `ttl`, else one day.
    public var effectiveClientTTLMax: Duration {
        self.clientTTLMax ?? self.ttl ?? .seconds(86_400)
    }

    public init(
        name: String,
        match: RoutePattern,
        ttl: Duration? = nil,
        ttlOverride: Bool = false,
        tags: [String] = [],
        keyHeaders: [String]? = nil,
        clientCacheControl: String? = nil,
        cacheStatusCodes: Set<Int>? = nil,
        staleWhileRevalidate: Duration? = nil,
        staleIfError: Duration? = nil,
        cache: Bool = true,
        cacheBody: Bool = false,
        ignoreBodyFields: [String] = [],
        maxKeyedBody: Int = RuleSettings.defaultMaxKeyedBody,
        storeIf: StoreConditions = StoreConditions(),
        hitDropHeaders: [String] = [],
        finishOnClientAbort: Bool? = nil,
        keyQueryParams: [String]? = nil,
        keyJWTClaim: JWTClaimKey? = nil,
        costHeader: String? = nil,
        cost: CostSettings? = nil,
        clientControls: Bool? = nil,
        clientTTLMax: Duration? = nil,
        line: Int = 0
    ) {
        self.name = name
        self.match = match
        self.ttl = ttl
        self.ttlOverride = ttlOverride
        self.tags = tags
        self.keyHeaders = keyHeaders
        self.clientCacheControl = clientCacheControl
        self.cacheStatusCodes = cacheStatusCodes
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.cache = cache
        self.cacheBody = cacheBody
        self.ignoreBodyFields = ignoreBodyFields
        self.maxKeyedBody = maxKeyedBody
        self.storeIf = storeIf
        self.hitDropHeaders = hitDropHeaders
        self.finishOnClientAbort = finishOnClientAbort ?? cacheBody
        self.keyQueryParams = keyQueryParams
        self.keyJWTClaim = keyJWTClaim
        self.cost = cost ?? CostSettings(header: costHeader)
        self.clientControls = clientControls ?? cacheBody
        self.clientTTLMax = clientTTLMax
        self.line = line
    }
}
