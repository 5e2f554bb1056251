import NIOHTTP1

/// Why a request's bytes could not be read as HTTP/1.1 (RFC 9112). Every kind ends the connection: once framing
/// is in doubt, no later byte can be trusted to start a request.
public struct RequestParseError: Error, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The syntax or the framing is wrong (400).
        case malformed
        /// The request line alone is longer than the head limit (414).
        case targetTooLong
        /// The head (request line and fields) is longer than the limit (431).
        case headTooLarge
        /// An HTTP major version other than 1 (505).
        case versionNotSupported
        /// A transfer coding other than chunked (501).
        case codingNotImplemented
    }

    public let kind: Kind
    /// A short reason for the error body and the debug log; never holds request bytes.
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    static func malformed(_ reason: String) -> RequestParseError { RequestParseError(.malformed, reason) }

    /// The status the client gets.
    public var status: HTTPResponseStatus {
        switch self.kind {
        case .malformed: .badRequest
        case .targetTooLong: .uriTooLong
        case .headTooLarge: .requestHeaderFieldsTooLarge
        case .versionNotSupported: .httpVersionNotSupported
        case .codingNotImplemented: .notImplemented
        }
    }
}
