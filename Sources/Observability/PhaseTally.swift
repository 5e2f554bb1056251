import Synchronization

/// Finished requests by phase since start, for `/stats` and the dashboard's phase table: one relaxed atomic add per
/// request. Always installed (it needs no configuration and keeps no label).
public final class PhaseTally: RequestObserver {
    private final class Count: Sendable {
        let value = Atomic<Int>(0)
    }

    private let counts: [Count]

    public init() {
        self.counts = CachePhase.allCases.map { _ in Count() }
    }

    public func observe(_ record: RequestRecord) {
        self.counts[record.phase.index].value.wrappingAdd(1, ordering: .relaxed)
    }

    /// Every phase with its count (zero included).
    public var snapshot: [CachePhase: Int] {
        var result: [CachePhase: Int] = [:]
        for phase in CachePhase.allCases { result[phase] = self.counts[phase.index].value.load(ordering: .relaxed) }
        return result
    }
}
