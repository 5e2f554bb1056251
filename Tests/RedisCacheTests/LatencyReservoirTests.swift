import Testing

@testable import RedisCache

@Suite("LatencyReservoir")
struct LatencyReservoirTests {
    @Test func emptyHasNoSummary() {
        #expect(LatencyReservoir(capacity: 4).summary == nil)
    }

    @Test func nearestRankPercentiles() {
        var reservoir = LatencyReservoir(capacity: 100)
        for value in 1...100 { reservoir.record(Double(value)) }
        let summary = reservoir.summary
        #expect(summary?.p50 == 50 && summary?.p99 == 99 && summary?.samples == 100)
    }

    @Test func keepsOnlyTheLastValues() {
        var reservoir = LatencyReservoir(capacity: 3)
        for value in [100.0, 1, 2, 3] { reservoir.record(value) }
        #expect(reservoir.summary?.p99 == 3 && reservoir.summary?.samples == 3)
    }
}
