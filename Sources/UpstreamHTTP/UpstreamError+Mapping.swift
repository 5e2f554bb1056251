import NIOCore
import NIOHTTP1
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
        case HTTPParserError.invalidEOFState:
            // llhttp's verdict on an EOF inside a head or a length-delimited body.
            kind = .closedEarly
        case is HTTPParserError, is NIOHTTPDecoderError, is ByteToMessageDecoderError:
            kind = .protocolError
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            kind = .tls
        default:
            kind = responseStarted ? .closedEarly : .unreachable
        }
        self.init(kind, detail: "\(error)", reusedConnection: reusedConnection)
    }

    /// The connection ended (EOF) while a request was in flight and its response had not ended.
    static func eof(responseStarted: Bool, reusedConnection: Bool) -> UpstreamError {
        if responseStarted {
            return UpstreamError(.closedEarly, detail: "EOF before the response ended", reusedConnection: reusedConnection)
        }
        return UpstreamError(.unreachable, detail: "connection closed before any response byte", reusedConnection: reusedConnection)
    }
}
