import AsyncHTTPClient
import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import ProxyConfig

/// One per client connection, after NIO's HTTP/1.1 codec and pipelining handler (which hands us one request at a
/// time). Fresh hits are answered right here on the event loop: no `Task`, no body copy. Misses and writes go
/// upstream through an `UpstreamExchange` whose callbacks run on this same event loop.
final class ProxyHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let proxy: ProxyContext
    let limits: Limits
    var context: ChannelHandlerContext?

    struct Limits {
        var maxRequestBody: Int
    }

    // MARK: Per-request state

    /// The request being answered; nil between requests.
    var current: RequestState?
    /// The client sent the request's `.end`.
    var requestEnded = true
    /// We wrote the response's `.end` (or gave up on the connection).
    var responseEnded = true
    var keepAlive = true
    var bodyBytes = 0
    private var nextExchangeID = 0

    // MARK: Read backpressure (request bodies)

    private var readingPaused = false
    private var readHeld = false

    init(proxy: ProxyContext, limits: Limits) {
        self.proxy = proxy
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.current?.exchange?.cancel()
        self.context = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.receiveHead(head, context: context)
        case .body(let buffer):
            self.receiveBody(buffer, context: context)
        case .end:
            self.requestEnded = true
            self.current?.exchange?.bodyStreamer?.end()
            self.finishIfDone()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client left: stop the upstream request; a partial response is never stored.
        if let exchange = self.current?.exchange, !exchange.isFinished {
            exchange.cancel()
        }
        self.current = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.proxy.logger.debug("client connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Outbound: hold reads while the upstream is behind on a request body

    func read(context: ChannelHandlerContext) {
        if self.readingPaused {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    func setReadingPaused(_ paused: Bool) {
        self.readingPaused = paused
        if !paused, self.readHeld, let context = self.context {
            self.readHeld = false
            context.read()
        }
    }

    // MARK: Request head

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        self.requestEnded = false
        self.responseEnded = false
        self.bodyBytes = 0
        self.keepAlive = head.isKeepAlive
        self.current = nil
        self.proxy.counters.requests.wrappingAdd(1, ordering: .relaxed)

        // Reprise is never an open proxy: origin-form targets only.
        if head.method == .CONNECT {
            return self.respondError(
                ErrorResponse(status: .methodNotAllowed, message: "CONNECT is not supported: Reprise is a reverse proxy", close: true),
                version: head.version
            )
        }
        guard head.uri.utf8.first == UInt8(ascii: "/") else {
            return self.respondError(
                ErrorResponse(status: .badRequest, message: "only origin-form request targets (/path) are accepted", close: true),
                version: head.version
            )
        }
        if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > self.limits.maxRequestBody {
            return self.respondError(
                ErrorResponse(status: .payloadTooLarge, message: "request body exceeds max_request_body", close: true),
                version: head.version
            )
        }

        let table = self.proxy.table
        let method = head.method.rawValue
        let path = head.uri.pathWithoutQuery
        guard let route = table.router.route(method: method, path: path) else {
            return self.respondError(.noRoute, version: head.version)
        }
        var state = RequestState(head: head, route: route, table: table, path: path, now: self.proxy.clock.now())

        if head.method == .GET || head.method == .HEAD {
            if self.lookup(&state, context: context) { return }
        } else {
            state.forward = .method
        }
        self.forward(state, context: context)
    }

    private func receiveBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        self.bodyBytes += buffer.readableBytes
        guard let current = self.current else { return }  // already answered: discard the rest of the body
        if self.bodyBytes > self.limits.maxRequestBody {
            current.exchange?.cancel()
            if current.responseStarted {
                context.close(promise: nil)
            } else {
                self.respondError(
                    ErrorResponse(status: .payloadTooLarge, message: "request body exceeds max_request_body", close: true),
                    version: current.head.version
                )
            }
            return
        }
        current.exchange?.bodyStreamer?.append(buffer)
    }

    // MARK: Completion

    /// Writes a generated error response (never stored) and ends the exchange.
    func respondError(_ error: ErrorResponse, version: HTTPVersion, cacheStatus: String? = nil) {
        guard let context = self.context else { return }
        var error = error
        if !self.keepAlive { error.close = true }
        if error.close { self.keepAlive = false }
        let (head, body) = error.head(version: version, cacheStatus: cacheStatus)
        self.current = nil
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        self.writeEnd(context: context)
    }

    /// Writes `.end`, closes the connection if it is not kept alive, and readies for the next request.
    func writeEnd(context: ChannelHandlerContext) {
        self.responseEnded = true
        let keepAlive = self.keepAlive
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
        self.finishIfDone()
    }

    private func finishIfDone() {
        if self.requestEnded && self.responseEnded {
            self.current = nil
        }
    }

    func makeExchangeID() -> Int {
        self.nextExchangeID += 1
        return self.nextExchangeID
    }
}
