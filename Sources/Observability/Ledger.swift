import NIOConcurrencyHelpers

/// What each credential partition spent and what the cache saved it (issue 16): calls and hits on costed rules
/// (`cost_*`), units and money billed (calls that went upstream) and saved (calls answered from the cache or from
/// another request's fetch). Rows are named by the partition's short id, never by a credential. It lives as long
/// as the process (a reload keeps it); in fleet mode `LedgerSync` adds every instance's rows up in Redis.
public final class Ledger: Sendable {
    public struct Row: Sendable, Equatable {
        public var calls = 0
        public var hits = 0
        public var unitsBilled = 0
        public var unitsSaved = 0
        public var amountBilled = 0.0
        public var amountSaved = 0.0

        /// What sorts rows: money billed, then units billed.
        public static func spends(more a: (String, Row), than b: (String, Row)) -> Bool {
            if a.1.amountBilled != b.1.amountBilled { return a.1.amountBilled > b.1.amountBilled }
            if a.1.unitsBilled != b.1.unitsBilled { return a.1.unitsBilled > b.1.unitsBilled }
            return a.0 < b.0
        }

        public mutating func add(_ other: Row) {
            self.calls += other.calls
            self.hits += other.hits
            self.unitsBilled += other.unitsBilled
            self.unitsSaved += other.unitsSaved
            self.amountBilled += other.amountBilled
            self.amountSaved += other.amountSaved
        }
    }

    /// Rows kept at most; further partitions are added up in the row `other` (the memory stays bounded whatever
    /// number of keys clients send).
    public static let capacity = 10_000
    public static let overflowID = "other"

    private struct State {
        var rows: [String: Row] = [:]
        /// What was recorded since the fleet's sum last took it.
        var unsent: [String: Row] = [:]
    }

    private let state = NIOLockedValueBox(State())
    /// Whether `unsent` is kept (fleet mode).
    public let keepsUnsent: Bool

    public init(keepsUnsent: Bool = false) {
        self.keepsUnsent = keepsUnsent
    }

    /// The short id of a partition: the last 12 hex digits of its HMAC (an HMAC reveals nothing of the key; the
    /// admin API's `/entries` shows the last 8 of them). The anonymous partition (`CredentialHasher.anonymous`) is "-".
    public static func id(of partition: String) -> String {
        partition == "-" ? partition : String(partition.suffix(12))
    }

    /// One call on a costed rule, billed or saved as its phase says (`CachePhase.savesTheCall`). `units` nil: not
    /// known (counted 0).
    public func record(partition: String, phase: CachePhase, units: Int?, price: Double?) {
        let units = units ?? 0
        var delta = Row(calls: 1)
        if !phase.savesTheCall {
            delta.unitsBilled = units
            delta.amountBilled = Double(units) * (price ?? 0)
        } else {
            delta.hits = 1
            delta.unitsSaved = units
            delta.amountSaved = Double(units) * (price ?? 0)
        }
        let id = Self.id(of: partition)
        self.state.withLockedValue { state in
            let key = state.rows[id] != nil || state.rows.count < Self.capacity ? id : Self.overflowID
            state.rows[key, default: Row()].add(delta)
            if self.keepsUnsent { state.unsent[key, default: Row()].add(delta) }
        }
    }

    public var snapshot: [String: Row] { self.state.withLockedValue { $0.rows } }

    /// Takes what was recorded since the last call (for the fleet's sum); `putBack` returns it after a failure.
    public func takeUnsent() -> [String: Row] {
        self.state.withLockedValue { state in
            defer { state.unsent = [:] }
            return state.unsent
        }
    }

    public func putBack(_ rows: [String: Row]) {
        self.state.withLockedValue { state in
            for (id, row) in rows { state.unsent[id, default: Row()].add(row) }
        }
    }

    /// Rows sorted by spend, from `offset`, at most `limit`; and the offset of the next page (nil on the last).
    public static func page(_ rows: [String: Row], offset: Int, limit: Int) -> (rows: [(String, Row)], next: Int?) {
        let sorted: [(String, Row)] = rows.map { ($0.key, $0.value) }.sorted { Row.spends(more: $0, than: $1) }
        let start = min(offset, sorted.count)
        let end = min(start + limit, sorted.count)
        return (Array(sorted[start..<end]), end < sorted.count ? end : nil)
    }
}
