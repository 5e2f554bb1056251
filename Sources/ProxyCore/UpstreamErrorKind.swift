import UpstreamHTTP

/// How an upstream failure is reported: a bounded set, safe for logs and metric labels.
enum UpstreamErrorKind: String, CustomStringConvertible {
    /// Refused, unresolvable or reset before a response: 502.
    case unreachable
    /// Connect or read timeout: 504.
    case timeout
    /// Anything else (protocol or TLS error, closed mid-response): 502.
    case failed

    init(_ error: UpstreamError) {
        switch error.kind {
        case .connectTimeout, .readTimeout: self = .timeout
        case .unreachable: self = .unreachable
        default: self = .failed
        }
    }

    var description: String { self.rawValue }
}
