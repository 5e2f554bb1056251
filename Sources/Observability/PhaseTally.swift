import Synchronization

/// Finished requests by phase since start, for `/stats` and the dashboard's phase table: one relaxed atomic add per
/// finished request, made where the record is handed to the observers (no call through an observer).
public final class PhaseTally: Sendable {
    private final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    private let counts: [Count]

    public init() {
        self.counts = CachePhase.allCases.map { _ in Count() }
    }

    @inline(__always)
    public func count(_ phase: CachePhase) {
        self.counts[phase.index].value.wrappingAdd(1, ordering: .relaxed)
    }

    /// Every phase with its count (zero included).
    public var snapshot: [CachePhase: Int] {
        var result: [CachePhase: Int] = [:]
        for phase in CachePhase.allCases { result[phase] = self.counts[phase.index].value.load(ordering: .relaxed) }
        return result
    }
}
