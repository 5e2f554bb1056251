import NIOConcurrencyHelpers

/// Small integer ids for configured names (rules, upstreams), so that the metrics hot path finds a request's series
/// by one integer instead of hashing label strings. Ids are handed out once per name for the life of the process;
/// names come from proxy.conf only, so the table stays as small as the configurations ever loaded. Id 0 is "none".
public enum MetricLabelIDs {
    private static let table = NIOLockedValueBox<[String: Int]>([:])

    /// The id of a configured name (1...), made on first use (at routing-table build, not per request).
    public static func id(_ name: String?) -> Int {
        guard let name, !name.isEmpty else { return 0 }
        return self.table.withLockedValue { table in
            if let id = table[name] { return id }
            let id = table.count + 1
            table[name] = id
            return id
        }
    }

    /// Rule and upstream ids packed into one key part (each below 2^20).
    public static func pack(rule: Int, upstream: Int) -> Int {
        (upstream & 0xF_FFFF) << 20 | (rule & 0xF_FFFF)
    }
}
