/// Status code tables used by the storage and freshness decisions.
public enum StatusCodes: Sendable {
    /// RFC 9110 §15.1: heuristically cacheable by default (a heuristic lifetime is allowed).
    public static let heuristicallyCacheable: Set<Int> = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]

    /// Final status codes whose caching requirements this cache understands (RFC 9111 §5.2.2.3,
    /// `must-understand`): the ones RFC 9110 defines and that can be stored.
    public static let understood: Set<Int> = [
        200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501,
    ]

    /// Never stored by default, even with explicit freshness: an authentication or rate-limit
    /// failure, or a server error, must not be replayed unless a rule lists it.
    public static func isErrorNeverStoredByDefault(_ status: Int) -> Bool {
        status == 401 || status == 403 || status == 429 || (500...599).contains(status)
    }
}
