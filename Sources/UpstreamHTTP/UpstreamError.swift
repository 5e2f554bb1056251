/// Why an upstream call failed, in terms the proxy maps to a status: the two timeouts to 504, every
/// other kind to 502.
///
/// The description is short and bounded (no response bytes, no headers), so it is safe for logs.
public struct UpstreamError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The TCP connection was not established within `connectTimeout`.
        case connectTimeout
        /// No upstream bytes arrived within `readTimeout` while the client wanted them.
        case readTimeout
        /// The upstream did not answer at all: connection refused, name unresolvable, or the connection
        /// was reset or closed before any response byte arrived. On a reused connection
        /// (``UpstreamError/reusedConnection``) the latter is the race with the origin closing an idle
        /// connection; the request is not retried, since the origin may have seen it.
        case unreachable
        /// The connection ended (EOF or reset) after the response had begun and before it ended.
        case closedEarly
        /// The upstream broke HTTP/1.1 (a ``ResponseParseError`` other than a truncation): unparsable or
        /// ambiguous framing, a head over the limit, 101 Switching Protocols (never asked for), bytes after the
        /// end of a response.
        case protocolError
        /// The TLS handshake or the TLS layer failed (untrusted certificate, name mismatch, alert).
        case tls
        /// The caller cancelled the call. Never delivered to the handler; used for the futures of
        /// request-body writes after the cancel.
        case cancelled
        /// The client was shut down before the call started.
        case shutdown
    }

    /// Longest detail kept, so a hostile upstream cannot flood the logs through an error message.
    static let maximumDetailLength = 160

    public var kind: Kind
    /// True when the call ran on a connection that had served an earlier request.
    public var reusedConnection: Bool
    /// A short, bounded explanation (the underlying error's description, truncated).
    public var detail: String

    public init(_ kind: Kind, detail: String = "", reusedConnection: Bool = false) {
        self.kind = kind
        self.reusedConnection = reusedConnection
        self.detail = Self.bounded(detail)
    }

    /// True for the kinds a proxy answers with 504 Gateway Timeout.
    public var isTimeout: Bool {
        self.kind == .connectTimeout || self.kind == .readTimeout
    }

    public var description: String {
        var text = "upstream \(self.kind.rawValue)"
        if self.reusedConnection {
            text += " (reused connection)"
        }
        if !self.detail.isEmpty {
            text += ": " + self.detail
        }
        return text
    }

    private static func bounded(_ text: String) -> String {
        guard text.utf8.count > Self.maximumDetailLength else {
            return text
        }
        return String(text.prefix(Self.maximumDetailLength)) + "…"
    }
}
