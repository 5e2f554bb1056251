/// Why an upstream's bytes could not be read as the HTTP/1.1 response to the request sent (RFC 9112). Every kind
/// ends the connection: once its framing is in doubt, no later byte can be trusted to start a response.
public struct ResponseParseError: Error, Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable {
        /// The syntax or the framing is wrong: a bad status line or field line, disagreeing or invalid
        /// `Content-Length`, `Content-Length` with `Transfer-Encoding`, a bad chunk, a `Content-Length` on a 204.
        case malformed
        /// The response head (interim heads included) is longer than `max_upstream_header_bytes`.
        case headTooLarge
        /// The status line names an HTTP version other than 1.x.
        case versionNotSupported
        /// 101 Switching Protocols: never asked for (the proxy removes `Upgrade`).
        case switchingProtocols
        /// Bytes where no response was owed: after the end of a complete response (a body on a 204 or on the
        /// response to a HEAD, extra body bytes, a second response), or before any request.
        case unexpectedBytes
        /// The connection closed before the response ended: inside the head, or inside a `Content-Length` or
        /// chunked body.
        case truncated
    }

    public let kind: Kind
    /// A short, fixed reason for logs and error details; never holds response bytes.
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    static func malformed(_ reason: String) -> ResponseParseError { ResponseParseError(.malformed, reason) }
}

extension ResponseParseError: CustomStringConvertible {
    public var description: String { "\(self.kind.rawValue): \(self.reason)" }
}
