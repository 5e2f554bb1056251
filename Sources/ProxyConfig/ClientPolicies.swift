/// `[server] get_with_body`: what to do with a `GET` or `HEAD` that carries a body (`Content-Length` above 0, or
/// chunked). A body is not part of a `GET`'s cache key, so it must never shape a stored entry.
public enum GetWithBody: String, Sendable, Equatable, CaseIterable {
    /// 400 with a JSON error, and the connection is closed (the default).
    case reject
    /// Forwarded with its body, never stored and never answered from the cache.
    case pass
}

/// `[cache] client_refresh` (and per rule): what a request with `Cache-Control: no-cache`, `max-age=0` (or any
/// `max-age`/`min-fresh` that rules out a fresh entry) or `Pragma: no-cache` may do to a stored entry.
public enum ClientRefresh: String, Sendable, Equatable, CaseIterable {
    /// The refreshing client is answered from upstream. Its response replaces an entry only in the client's own
    /// credential partition; an entry other clients share is never replaced (a 304 may still refresh its
    /// freshness). The default.
    case own
    /// Any client may replace any entry it can read (for fleets of trusted clients).
    case shared
    /// Such directives are ignored: fresh entries answer, as nginx and Varnish do.
    case ignore
}
