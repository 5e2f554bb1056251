import UpstreamHTTP

/// How an upstream failure is reported: a bounded set, safe for logs and metric labels
/// (`reprise_upstream_errors_total{kind}`).
enum UpstreamErrorKind: String, Sendable, CaseIterable, CustomStringConvertible {
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

    init(_ error: UpstreamError) {
        switch error.kind {
        case .connectTimeout, .readTimeout: self = .timeout
        case .unreachable: self = .unreachable
        case .protocolError: self = .protocol
        case .closedEarly: self = .truncated
        case .tls: self = .tls
        case .cancelled, .shutdown: self = .failed
        }
    }

    /// The error body a client gets when no response head has gone out.
    func response(upstream name: String) -> ErrorResponse {
        switch self {
        case .timeout: return .upstreamTimeout(name)
        case .unreachable: return .upstreamUnreachable(name)
        case .protocol: return .upstreamProtocolError(name)
        case .truncated, .tls, .failed: return .upstreamFailed(name)
        }
    }

    var description: String { self.rawValue }
}
