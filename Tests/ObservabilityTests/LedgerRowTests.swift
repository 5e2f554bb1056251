import Foundation
import Testing

@testable import Observability

/// The ledger's rows, without a proxy.
@Suite struct LedgerRowTests {
    @Test func theLedgerIsBounded() {
        let ledger = Ledger()
        for index in 0..<(Ledger.capacity + 5) {
            ledger.record(partition: String(format: "%032x", index), phase: .miss, units: 1, price: nil)
        }
        let rows = ledger.snapshot
        #expect(rows.count == Ledger.capacity + 1)
        #expect(rows[Ledger.overflowID]?.calls == 5)
    }

    @Test func theRowSaysBilledOrSavedByPhase() {
        let ledger = Ledger()
        for phase in CachePhase.allCases {
            ledger.record(partition: "0123456789abcdef0123", phase: phase, units: 10, price: 0.5)
        }
        let row = ledger.snapshot[Ledger.id(of: "0123456789abcdef0123")]
        let saved = CachePhase.allCases.filter(\.savesTheCall).count
        #expect(row?.calls == CachePhase.allCases.count)
        #expect(row?.hits == saved)
        #expect(row?.unitsSaved == 10 * saved)
        #expect(row?.unitsBilled == 10 * (CachePhase.allCases.count - saved))
        #expect(row?.amountSaved == 5 * Double(saved))
    }
}

/// The ring of the last purges.
@Suite struct PurgeLogTests {
    @Test func keepsTheNewestFirstAndForgetsTheOldest() {
        let log = PurgeLog(capacity: 3)
        #expect(log.recent.isEmpty)
        for index in 1...5 { log.record(cause: "purge \(index)", dropped: index, now: Double(index)) }
        #expect(log.recent.map(\.cause) == ["purge 5", "purge 4", "purge 3"])
        #expect(log.recent.map(\.dropped) == [5, 4, 3])
    }

    @Test func cutsLongCauses() {
        let log = PurgeLog()
        log.record(cause: String(repeating: "x", count: 1000), dropped: 0, now: 0)
        let cause = log.recent.first?.cause ?? ""
        #expect(cause.count == PurgeLog.maxCauseLength)
        #expect(cause.hasSuffix("…"))
    }
}
