extension RedisFleet {
    /// Totals since start, for `/stats` and `/metrics`.
    public struct Counters: Sendable, Equatable {
        public var l2Hits = 0
        public var l2Misses = 0
        public var l2Writes = 0
        /// Writes refused because a purge ran during the fetch (or Redis was unreachable).
        public var l2WritesSkipped = 0
        public var purgesPublished = 0
        public var purgesReceived = 0
        public var ackTimeouts = 0
        /// Times L1 was dropped because purges may have been missed.
        public var localDrops = 0
        public var reconnects = 0
        /// Cross-instance single flight: requests answered from L2 after waiting for another instance's fetch.
        public var flightCoalesced = 0
        /// Leases this instance won to fetch a key.
        public var flightLed = 0
        /// Leases taken over from an instance that failed, died or let its lease expire.
        public var flightTakeovers = 0
        /// Requests that fell back to this instance's own coalescing because Redis was down, slow or unsubscribed.
        public var flightFallbacks = 0
        /// Requests that stopped waiting for another instance at `coalesce_timeout` and fetched themselves.
        public var flightTimeouts = 0

        public init() {}
    }

    /// One event of the cross-instance single flight, counted in `Counters`.
    public enum FlightEvent: Sendable {
        case coalesced, led, takeover, fallback, timeout
    }

    public func record(_ event: FlightEvent) {
        self.state.withLockedValue { state in
            switch event {
            case .coalesced: state.counters.flightCoalesced += 1
            case .led: state.counters.flightLed += 1
            case .takeover: state.counters.flightTakeovers += 1
            case .fallback: state.counters.flightFallbacks += 1
            case .timeout: state.counters.flightTimeouts += 1
            }
        }
    }
}
