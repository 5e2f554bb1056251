/// How an upstream failure is reported: a bounded set, safe for logs and metric labels
/// (`reprise_upstream_errors_total{kind}`).
public enum UpstreamErrorKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Refused, unresolvable, or closed or reset before a response byte: 502.
    case unreachable
    /// Connect or read timeout: 504.
    case timeout
    /// The upstream broke HTTP/1.1: an unreadable or ambiguous head or body framing, a head over
    /// `max_upstream_header_bytes`, 101, bytes after the end of a response: 502.
    case `protocol`
    /// The connection ended (closed or reset) inside the response: 502 before the head, a cut after it.
    case truncated
    /// The TLS handshake or layer failed: 502.
    case tls
    /// Anything else (the upstream client was shut down by a reload): 502.
    case failed

    public var description: String { self.rawValue }
}
