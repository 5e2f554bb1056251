/// Stale-serving windows (RFC 5861) used when a response carries no such directive, from the
/// proxy configuration (e.g. `[cache] stale_if_error = "10m"`).
public struct StaleDefaults: Sendable, Equatable {
    /// Seconds after expiry during which a stale response may be served while revalidating.
    public var staleWhileRevalidate: Double?
    /// Seconds after expiry during which a stale response may be served when the origin fails.
    public var staleIfError: Double?

    public init(staleWhileRevalidate: Double? = nil, staleIfError: Double? = nil) {
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
    }

    /// No defaults: only the response's own directives allow stale serving.
    public static let none = StaleDefaults()
}
