/// `[cache]`: the in-memory (L1) cache and defaults shared by every route.
public struct CacheSettings: Sendable, Equatable {
    /// Byte budget of L1.
    public var memory: Int
    /// Larger bodies stream through unstored. Never more than `memory`.
    public var maxObject: Int
    /// Default `stale-while-revalidate` window for routes that do not set one.
    public var staleWhileRevalidate: Duration?
    /// Default `stale-if-error` window for routes that do not set one.
    public var staleIfError: Duration?
    /// How long followers wait for a coalesced leader before going upstream themselves.
    public var coalesceTimeout: Duration
    /// HMAC secret for credential hashing (a secret: never log it); nil = the proxy makes one.
    public var keySecret: String?
    /// What a client's `no-cache` may do to a stored entry (rules may override it).
    public var clientRefresh: ClientRefresh

    public init(
        memory: Int = 256 << 20,
        maxObject: Int = 8 << 20,
        staleWhileRevalidate: Duration? = nil,
        staleIfError: Duration? = nil,
        coalesceTimeout: Duration = .seconds(10),
        keySecret: String? = nil,
        clientRefresh: ClientRefresh = .own
    ) {
        self.memory = memory
        self.maxObject = maxObject
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.coalesceTimeout = coalesceTimeout
        self.keySecret = keySecret
        self.clientRefresh = clientRefresh
    }
}
