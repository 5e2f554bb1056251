/// One `[[upstream]]`: requests whose path is at or under `prefix` go to `url`, prefix stripped.
public struct UpstreamSettings: Sendable, Equatable {
    /// Unique, `[a-z0-9_-]+`; used in logs and metric labels.
    public var name: String
    /// "/" or "/segment[/segment...]" without a trailing slash; unique. Match it on segment
    /// boundaries: "/eleven" does not cover "/elevenlabs".
    public var prefix: String
    public var url: UpstreamURL
    /// Lower-cased request headers whose (hashed) values partition the cache, e.g. "xi-api-key".
    public var keyHeaders: [String]
    /// Query parameters carrying credentials (e.g. Gemini's "key"): hashed into the cache key and
    /// removed from the stored URL.
    public var keyQueryParams: [String]
    /// Partition by one claim of a JWT sent in a header, e.g. Kling's "iss"; nil = none.
    public var keyJWTClaim: JWTClaimKey?
    /// Extra CA bundle (PEM) to trust for this https upstream; an existing, readable file.
    public var caFile: String?
    public var connectTimeout: Duration
    public var readTimeout: Duration
    /// How long an idle keep-alive connection to the upstream is kept for reuse (`idle_timeout`). 4 s by default:
    /// below the 5 s keep-alive of uvicorn and Node, so a request is not sent on a connection the upstream is closing.
    public var idleTimeout: Duration
    /// The longest response head the upstream may send (status line and fields, interim heads included); a longer
    /// one is a protocol error (502). 64 KiB by default.
    public var maxUpstreamHeaderBytes: Int

    /// `max_upstream_header_bytes` must leave room for a status line and some fields, and not let one upstream
    /// connection hold more than this for a head.
    public static let upstreamHeaderBytesRange = (1 << 10)...(1 << 20)

    public init(
        name: String,
        prefix: String,
        url: UpstreamURL,
        keyHeaders: [String] = [],
        caFile: String? = nil,
        connectTimeout: Duration = .seconds(5),
        readTimeout: Duration = .seconds(300),
        idleTimeout: Duration = .seconds(4),
        keyQueryParams: [String] = [],
        keyJWTClaim: JWTClaimKey? = nil,
        maxUpstreamHeaderBytes: Int = 64 << 10
    ) {
        self.maxUpstreamHeaderBytes = maxUpstreamHeaderBytes
        self.name = name
        self.prefix = prefix
        self.url = url
        self.keyHeaders = keyHeaders
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.keyQueryParams = keyQueryParams
        self.keyJWTClaim = keyJWTClaim
    }
}
