/// The freshness lifetime and the age of a stored response (RFC 9111 §4.2), computed once when
/// the response is received. Every query takes `now` (seconds since the Unix epoch).
public struct Freshness: Sendable, Equatable {
    /// Where the lifetime came from.
    public enum Source: String, Sendable {
        case sharedMaxAge = "s-maxage"
        case maxAge = "max-age"
        case expires = "expires"
        case heuristic = "heuristic"
        case rule = "rule"
        case none = "none"
    }

    /// Freshness lifetime in seconds (RFC 9111 §4.2.1).
    public var lifetime: Double
    public var source: Source
    /// RFC 9111 §4.2.3: corrected_initial_age.
    public var correctedInitialAge: Double
    /// Epoch seconds at which the response was received.
    public var responseTime: Double

    public init(lifetime: Double, source: Source, correctedInitialAge: Double, responseTime: Double) {
        self.lifetime = lifetime
        self.source = source
        self.correctedInitialAge = correctedInitialAge
        self.responseTime = responseTime
    }

    /// RFC 9111 §4.2.3: current_age = corrected_initial_age + resident_time.
    public func currentAge(now: Double) -> Double {
        self.correctedInitialAge + max(0, now - self.responseTime)
    }

    /// RFC 9111 §4.2: response_is_fresh = (freshness_lifetime > current_age).
    public func isFresh(now: Double) -> Bool {
        self.lifetime > self.currentAge(now: now)
    }

    /// lifetime − current age; negative once stale (then it is minus the staleness).
    public func timeToLive(now: Double) -> Double {
        self.lifetime - self.currentAge(now: now)
    }

    /// The `Age` header value to send (RFC 9111 §5.1): whole seconds, capped at 2^31.
    public func ageHeaderValue(now: Double) -> Int {
        Self.wholeSeconds(self.currentAge(now: now))
    }

    /// The `ttl` of `Cache-Status` (RFC 9211 §2.5): whole seconds, negative when stale.
    public func ttlSeconds(now: Double) -> Int {
        let ttl = self.timeToLive(now: now)
        return ttl < 0 ? -Self.wholeSeconds(-ttl) : Self.wholeSeconds(ttl)
    }

    static func wholeSeconds(_ value: Double) -> Int {
        guard !value.isNaN, value > 0 else {
            return 0
        }
        return value >= Double(Leniencies.deltaSecondsLimit) ? Leniencies.deltaSecondsLimit : Int(value)
    }
}
