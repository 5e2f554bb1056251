import NIOCore
import NIOHTTP1

/// Answers requests the HTTP parser rejected: 431 when the header block is too large, 400 otherwise, and closes
/// the connection (after the parser fails, the byte stream cannot be trusted). Like NIO's own error handler, but
/// with the right status and Reprise's JSON body.
final class ProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = Never
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var responseInFlight = false

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !self.responseInFlight {
            let response: ErrorResponse
            if case HTTPParserError.headerOverflow = error {
                response = ErrorResponse(
                    status: .requestHeaderFieldsTooLarge,
                    message: "request header block exceeds max_header_bytes",
                    close: true
                )
            } else {
                response = ErrorResponse(status: .badRequest, message: "malformed HTTP request", close: true)
            }
            let (head, body) = response.head(version: .http1_1, cacheStatus: nil)
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: self.responseInFlight = true
        case .end: self.responseInFlight = false
        default: break
        }
        context.write(data, promise: promise)
    }
}
