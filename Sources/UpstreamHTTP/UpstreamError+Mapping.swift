import NIOCore
import NIOPosix
import NIOSSL

/// Classifies the errors NIO reports into the kinds the proxy acts on, in one place, so the mapping to
/// 502/504 is auditable.
extension UpstreamError {
    /// An error from establishing the TCP connection (`ClientBootstrap.connect`).
    init(connecting error: any Error) {
        switch error {
        case ChannelError.connectTimeout:
            self.init(.connectTimeout, detail: "no connection within the connect timeout")
        case let error as NIOConnectionError:
            // Refused on every address, or the name did not resolve.
            if let first = error.connectionErrors.first {
                self.init(.unreachable, detail: "connect: \(first.error)")
            } else {
                self.init(.unreachable, detail: "name resolution failed for \(error.host)")
            }
        case let error as UpstreamError:
            self = error
        default:
            self.init(.unreachable, detail: "connect: \(error)")
        }
    }

    /// An error caught on an established connection while a request was in flight.
    ///
    /// - Parameters:
    ///   - responseStarted: whether any response bytes (an interim head included) had arrived; a
    ///     transport failure before is ``Kind/unreachable``, after it ``Kind/closedEarly``.
    init(inFlight error: any Error, responseStarted: Bool, reusedConnection: Bool) {
        let kind: Kind
        switch error {
        case let error as UpstreamError:
            self = error
            self.reusedConnection = reusedConnection
            return
        case let error as ResponseParseError:
            self.init(parsing: error, responseStarted: responseStarted, reusedConnection: reusedConnection)
            return
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            kind = .tls
        default:
            kind = responseStarted ? .closedEarly : .unreachable
        }
        self.init(kind, detail: "\(error)", reusedConnection: reusedConnection)
    }

    /// A refusal of the response parser: a response cut short by the connection's end is ``Kind/closedEarly``
    /// (``Kind/unreachable`` when not one byte of it came), anything else ``Kind/protocolError``.
    init(parsing error: ResponseParseError, responseStarted: Bool, reusedConnection: Bool) {
        let kind: Kind
        switch error.kind {
        case .truncated: kind = responseStarted ? .closedEarly : .unreachable
        case .malformed, .headTooLarge, .versionNotSupported, .switchingProtocols, .unexpectedBytes: kind = .protocolError
        }
        self.init(kind, detail: error.description, reusedConnection: reusedConnection)
    }

    /// The connection ended (EOF) while a request was in flight and its response had not ended.
    static func eof(responseStarted: Bool, reusedConnection: Bool) -> UpstreamError {
        if responseStarted {
            return UpstreamError(.closedEarly, detail: "EOF before the response ended", reusedConnection: reusedConnection)
        }
        return UpstreamError(.unreachable, detail: "connection closed before any response byte", reusedConnection: reusedConnection)
    }
}
