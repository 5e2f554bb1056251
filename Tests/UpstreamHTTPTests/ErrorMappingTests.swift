import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

@testable import UpstreamHTTP

/// The classification the proxy's 502/504 choice rests on, for errors a loopback test cannot provoke.
@Suite struct ErrorMappingTests {
    @Test func aConnectTimeoutIsATimeout() {
        let error = UpstreamError(connecting: ChannelError.connectTimeout(.seconds(1)))
        #expect(error.kind == .connectTimeout)
        #expect(error.isTimeout)
    }

    @Test func inFlightErrorsDependOnWhetherTheResponseBegan() {
        let reset = IOError(errnoCode: 104, reason: "read")
        #expect(UpstreamError(inFlight: reset, responseStarted: false, reusedConnection: true).kind == .unreachable)
        #expect(UpstreamError(inFlight: reset, responseStarted: true, reusedConnection: false).kind == .closedEarly)
        let truncated = ResponseParseError(.truncated, "cut")
        #expect(UpstreamError(inFlight: truncated, responseStarted: true, reusedConnection: false).kind == .closedEarly)
        #expect(UpstreamError(inFlight: truncated, responseStarted: false, reusedConnection: false).kind == .unreachable)
        for kind in [ResponseParseError.Kind.malformed, .headTooLarge, .versionNotSupported, .switchingProtocols, .unexpectedBytes] {
            let error = UpstreamError(inFlight: ResponseParseError(kind, "bad"), responseStarted: true, reusedConnection: false)
            #expect(error.kind == .protocolError)
            #expect(error.detail == "\(kind.rawValue): bad")
        }
        #expect(UpstreamError(inFlight: NIOSSLError.handshakeFailed(.sslError([])), responseStarted: false, reusedConnection: false).kind == .tls)
    }

    @Test func descriptionsAreBounded() {
        let error = UpstreamError(.protocolError, detail: String(repeating: "x", count: 10_000))
        #expect(error.description.count < 250)
        #expect(error.description.hasPrefix("upstream protocolError: xxx"))
    }

    @Test func sniIsSentForNamesOnly() {
        #expect(UpstreamConnector.isIPLiteral("127.0.0.1"))
        #expect(UpstreamConnector.isIPLiteral("::1"))
        #expect(!UpstreamConnector.isIPLiteral("localhost"))
        #expect(!UpstreamConnector.isIPLiteral("origin.example"))
    }
}
