/// Per-route storage options, taken from the matching config rule.
public struct StoragePolicy: Sendable, Equatable {
    /// Lifetime used when the upstream gives no freshness information.
    public var ruleTTL: Double?
    /// Ignore the upstream's freshness headers and use `ruleTTL`.
    public var ttlOverride: Bool
    /// The rule's `cache_status_codes`: when set, the complete allow-list; `nil` = RFC defaults.
    public var cacheableStatusCodes: Set<Int>?
    /// The rule keys on the request body (`cache_body`): POST and PUT may be stored too.
    public var bodyKeyed: Bool

    public init(
        ruleTTL: Double? = nil,
        ttlOverride: Bool = false,
        cacheableStatusCodes: Set<Int>? = nil,
        bodyKeyed: Bool = false
    ) {
        self.ruleTTL = ruleTTL
        self.ttlOverride = ttlOverride
        self.cacheableStatusCodes = cacheableStatusCodes
        self.bodyKeyed = bodyKeyed
    }

    /// RFC defaults, no rule.
    public static let `default` = StoragePolicy()

    /// The rule ttl when `ttlOverride` makes it win over the upstream's headers.
    var overridingTTL: Double? {
        self.ttlOverride ? self.ruleTTL : nil
    }
}
