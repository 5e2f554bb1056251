import NIOConcurrencyHelpers

/// What each rule saved: upstream calls avoided, bytes served from the cache, upstream cost avoided.
/// Counted on hits of entries stored by a named rule (never keyed by path, so the set stays bounded).
public final class RuleTally: Sendable {
    public init() {}

    public struct Savings: Sendable, Equatable {
        public var callsAvoided = 0
        public var bytesFromCache = 0
        public var costSaved = 0
        /// Calls of a costed rule that went upstream, and the units they cost.
        public var callsBilled = 0
        public var costBilled = 0
    }

    private let savings = NIOLockedValueBox<[String: Savings]>([:])

    public func recordHit(rule: String, bytes: Int, cost: Int) {
        guard !rule.isEmpty else { return }
        self.savings.withLockedValue { all in
            var savings = all[rule, default: Savings()]
            savings.callsAvoided += 1
            savings.bytesFromCache += bytes
            savings.costSaved += cost
            all[rule] = savings
        }
    }

    /// A call of a costed rule that went upstream (`cost_*`).
    public func recordBilled(rule: String, units: Int) {
        guard !rule.isEmpty else { return }
        self.savings.withLockedValue { all in
            all[rule, default: Savings()].callsBilled += 1
            all[rule, default: Savings()].costBilled += units
        }
    }

    public var snapshot: [String: Savings] { self.savings.withLockedValue { $0 } }
}
