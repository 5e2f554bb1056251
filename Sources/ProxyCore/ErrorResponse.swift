import NIOCore
import NIOHTTP1
import Observability

/// The short JSON bodies Reprise answers with when it cannot forward: `{"error": ..., "upstream": name}`.
struct ErrorResponse {
    var status: HTTPResponseStatus
    var message: String
    var upstream: String?
    /// Close the connection after this response (malformed input, oversize bodies).
    var close: Bool = false
    /// The `Allow` field of a 405 (RFC 9110 §15.5.6).
    var allow: String? = nil

    static func upstreamUnreachable(_ upstream: String) -> ErrorResponse {
        ErrorResponse(status: .badGateway, message: "upstream unreachable", upstream: upstream)
    }

    static func upstreamTimeout(_ upstream: String) -> ErrorResponse {
        ErrorResponse(status: .gatewayTimeout, message: "upstream timed out", upstream: upstream)
    }

    static func upstreamFailed(_ upstream: String) -> ErrorResponse {
        ErrorResponse(status: .badGateway, message: "upstream connection failed", upstream: upstream)
    }

    /// The upstream's response broke HTTP/1.1 (see `UpstreamErrorKind.protocol`).
    static func upstreamProtocolError(_ upstream: String) -> ErrorResponse {
        ErrorResponse(status: .badGateway, message: "upstream sent an invalid HTTP response", upstream: upstream)
    }

    static let noRoute = ErrorResponse(status: .notFound, message: "no upstream is configured for this path")

    var body: String {
        var json = "{\"error\":\"\(JSONText.escape(self.message))\""
        if let upstream = self.upstream { json += ",\"upstream\":\"\(JSONText.escape(upstream))\"" }
        return json + "}\n"
    }

    func head(version: HTTPVersion, cacheStatus: String?) -> (HTTPResponseHead, ByteBuffer) {
        let buffer = ByteBuffer(string: self.body)
        var headers = HTTPHeaders()
        headers.reserveCapacity(5)
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(buffer.readableBytes))
        headers.add(name: "cache-control", value: "no-store")
        if let cacheStatus { headers.add(name: "cache-status", value: cacheStatus) }
        if let allow = self.allow { headers.add(name: "allow", value: allow) }
        if self.close { headers.add(name: "connection", value: "close") }
        return (HTTPResponseHead(version: version, status: self.status, headers: headers), buffer)
    }
}
