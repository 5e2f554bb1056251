import HTTPCaching

/// A fixed "now" for the tables: 2001-09-09T01:46:40Z.
let t0 = 1_000_000_000.0

/// `Date`-style header value `offset` seconds from `t0`.
func httpDate(_ offset: Double) -> String {
    HTTPDate.format(t0 + offset)
}

/// Builds a field list from "Name: value" lines.
func fields(_ lines: [String]) -> HTTPFieldList {
    HTTPFieldList(
        lines.map { line in
            let colon = line.firstIndex(of: ":")!
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            return (name: String(line[..<colon]), value: String(value))
        })
}

/// A stored response received at `t0` (request sent at `t0`).
func storedInfo(_ responseLines: [String], status: Int = 200, policy: StoragePolicy = .default) -> StoredResponseInfo {
    let headers = fields(responseLines)
    let freshness = Freshness.compute(
        requestTime: t0, responseTime: t0, status: status, responseHeaders: headers, policy: policy)
    return StoredResponseInfo(status: status, responseHeaders: headers, freshness: freshness)
}
