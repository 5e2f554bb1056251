import NIOCore
import Observability
import ProxyCore

/// `GET /partitions?limit=&cursor=`: the ledger per credential partition (issue 16), sorted by spend, one page at a
/// time. In fleet mode the rows are the whole fleet's, summed in Redis (`LedgerSync`); without Redis reachable, this
/// instance's own, with `"scope":"instance"`.
extension AdminAPI {
    func partitions(query: String) -> Reply {
        var limit = 100
        var offset = 0
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count == 2 ? String(parts[1]) : ""
            switch parts[0] {
            case "limit":
                guard let number = Int(value), (1...1000).contains(number) else {
                    return Reply(status: .badRequest, json: #"{"error":"limit must be a whole number from 1 to 1000"}"#)
                }
                limit = number
            case "cursor":
                guard let number = Int(value), number >= 0 else {
                    return Reply(status: .badRequest, json: #"{"error":"cursor must be a next_cursor this endpoint gave"}"#)
                }
                offset = number
            default:
                return Reply(status: .badRequest, json: #"{"error":"unknown parameter: partitions takes limit and cursor"}"#)
            }
        }
        let (local, fleetRows) = self.server.ledgerRows()
        guard let fleetRows else {
            return Reply(status: .ok, json: Self.partitionsJSON(local, scope: "instance", offset: offset, limit: limit))
        }
        let pending = fleetRows.map { rows -> Reply in
            guard let rows else {
                return Reply(status: .ok, json: Self.partitionsJSON(local, scope: "instance", offset: offset, limit: limit))
            }
            return Reply(status: .ok, json: Self.partitionsJSON(rows, scope: "fleet", offset: offset, limit: limit))
        }
        return Reply(status: .ok, json: "", pending: pending)
    }

    static func partitionsJSON(_ rows: [String: Ledger.Row], scope: String, offset: Int, limit: Int) -> String {
        let page = Ledger.page(rows, offset: offset, limit: limit)
        let items = page.rows.map { id, row in
            "{\"id\":\"\(JSONText.escape(id))\",\"calls\":\(row.calls),\"hits\":\(row.hits),"
                + "\"units_billed\":\(row.unitsBilled),\"units_saved\":\(row.unitsSaved),"
                + "\"amount_billed\":\"\(RepriseCost.decimal(row.amountBilled))\","
                + "\"amount_saved\":\"\(RepriseCost.decimal(row.amountSaved))\"}"
        }.joined(separator: ",")
        let next = page.next.map { "\"\($0)\"" } ?? "null"
        return "{\"scope\":\"\(scope)\",\"total\":\(rows.count),\"partitions\":[\(items)],\"next_cursor\":\(next)}"
    }
}
