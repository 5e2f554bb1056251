import Observability
import UpstreamHTTP

/// How an `UpstreamError` is reported and answered.
extension UpstreamErrorKind {
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
}
