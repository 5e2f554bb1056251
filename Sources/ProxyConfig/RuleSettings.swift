/// One `[[rule]]`: how requests matching `match` are cached. The first matching rule wins.
public struct RuleSettings: Sendable, Equatable {
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
    /// Line of the rule's `[[rule]]` header, for logs.
    public var line: Int

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
        self.line = line
    }
}
