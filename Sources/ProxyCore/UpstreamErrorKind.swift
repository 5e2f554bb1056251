import AsyncHTTPClient
import NIOCore
import NIOPosix

/// How an upstream failure is reported: a bounded set, safe for logs and metric labels.
enum UpstreamErrorKind: String, CustomStringConvertible {
    /// Refused, unresolvable or reset before a response: 502.
    case unreachable
    /// Connect or read timeout: 504.
    case timeout
    /// Anything else (protocol error, closed mid-response): 502.
    case failed

    init(_ error: Error) {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded: self = .timeout
            case .remoteConnectionClosed: self = .failed
            default: self = .failed
            }
            return
        }
        if error is NIOConnectionError || error is IOError || error is ChannelError {
            self = .unreachable
            return
        }
        let text = String(describing: error)
        if text.contains("onnect") || text.contains("refused") || text.contains("resolve") {
            self = .unreachable
        } else {
            self = .failed
        }
    }

    var description: String { self.rawValue }
}
