import Foundation
import NIOCore
import NIOHTTP1

/// One per connection, behind `configureHTTPServerPipeline` (which serialises pipelined requests). It counts each
/// request as its head arrives, consumes the body the way the route needs, then writes the route's response:
/// after an optional head delay, and for streamed bodies one chunk at a time, each after the previous write completed.
/// Everything runs on the channel's event loop; timers use `scheduleTask`, never a sleeping thread.
final class DemoHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    // MARK: State

    private struct Pending {
        var head: HTTPRequestHead
        var path: String
        var query: String?
        var requestNumber: Int
        var endpoint: DemoEndpoint
        var sink: BodySink
        var fault: DemoFault?
    }

    private struct InFlight {
        var keepAlive: Bool
        var isHead: Bool
        var onFinish: (@Sendable () -> Void)?
        var scheduled: Scheduled<Void>?
        var resetMidBody = false
    }

    private let router: DemoRouter
    private let state: DemoState
    private let scheme: String
    private var pending: Pending?
    private var inFlight: InFlight?
    private var isOpen = true

    init(router: DemoRouter, state: DemoState, isTLS: Bool) {
        self.router = router
        self.state = state
        self.scheme = isTLS ? "https" : "http"
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            // A dead upstream: kept-alive connections die too, without an answer (and the request is not counted).
            if self.state.isRefusing {
                context.close(promise: nil)
                return
            }
            let (path, query) = DemoRequest.splitURI(head.uri)
            let arrival = self.state.recordArrival(method: head.method.rawValue, path: path, headers: head.headers)
            let fault = DemoFault(headers: head.headers)
            var injectedStatus = arrival.injectedStatus
            if case .status(let code) = fault { injectedStatus = code }
            let endpoint: DemoEndpoint =
                injectedStatus.map { .injected(status: $0, family: APIFamily(path: path)) }
                ?? DemoEndpoint.resolve(
                    method: head.method,
                    path: path,
                    geminiCredential: head.headers.contains(name: "x-goog-api-key")
                        || DemoRequest.parseQuery(query ?? "").contains { $0.0 == "key" }
                )
            let mode = endpoint.bodyMode(contentType: head.headers.first(name: "content-type"))
            self.pending = Pending(
                head: head,
                path: path,
                query: query,
                requestNumber: arrival.requestNumber,
                endpoint: endpoint,
                sink: BodySink(mode: mode),
                fault: fault
            )
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                let continueHead = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(self.wrapOutboundOut(.head(continueHead)), promise: nil)
            }
        case .body(let buffer):
            self.pending?.sink.consume(buffer)
        case .end:
            guard var pending = self.pending else { return }
            self.pending = nil
            let host = pending.head.headers.first(name: "host") ?? "127.0.0.1:\(self.state.port)"
            let request = DemoRequest(
                head: pending.head,
                path: pending.path,
                query: pending.query,
                requestNumber: pending.requestNumber,
                body: pending.sink.finish(),
                origin: "\(self.scheme)://\(host)"
            )
            if pending.fault == .resetBeforeHead {
                self.reset(context: context)
                return
            }
            let response = self.router.respond(to: request, endpoint: pending.endpoint)
            self.start(response, head: pending.head, resetMidBody: pending.fault == .resetMidBody, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isOpen = false
        self.pending = nil
        self.finishInFlight()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: Writing

    private func start(
        _ response: DemoResponse,
        head: HTTPRequestHead,
        resetMidBody: Bool,
        context: ChannelHandlerContext
    ) {
        self.inFlight = InFlight(
            keepAlive: head.isKeepAlive,
            isHead: head.method == .HEAD,
            onFinish: response.onFinish,
            resetMidBody: resetMidBody
        )
        guard response.headDelay > .zero else {
            self.write(response, context: context)
            return
        }
        self.inFlight?.scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: response.headDelay) {
            self.write(response, context: context)
        }
    }

    private func write(_ response: DemoResponse, context: ChannelHandlerContext) {
        guard self.isOpen, let inFlight = self.inFlight else { return }
        var headers = response.headers
        headers.replaceOrAdd(name: "date", value: HTTPDate.now())
        if !inFlight.keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let status = response.status
        let framed = status != .notModified && status != .noContent && status.code >= 200
        let sendsBody = framed && !inFlight.isHead
        for (interimStatus, interimHeaders) in response.interim {
            context.write(self.wrapOutboundOut(.head(self.head(interimStatus, interimHeaders))), promise: nil)
        }
        if inFlight.resetMidBody {
            self.writeHalfThenReset(response, headers: headers, sendsBody: sendsBody, context: context)
            return
        }

        switch response.body {
        case .never:
            return
        case .empty:
            if framed && !headers.contains(name: "content-length") { headers.add(name: "content-length", value: "0") }
            context.write(self.wrapOutboundOut(.head(self.head(status, headers))), promise: nil)
            self.writeEnd(context: context)
        case .full(let buffer):
            if framed { headers.replaceOrAdd(name: "content-length", value: String(buffer.readableBytes)) }
            context.write(self.wrapOutboundOut(.head(self.head(status, headers))), promise: nil)
            if sendsBody && buffer.readableBytes > 0 {
                context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
            self.writeEnd(context: context)
        case .streamed(let body):
            if let length = body.contentLength {
                headers.replaceOrAdd(name: "content-length", value: String(length))
            } else if !inFlight.isHead {
                headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
            }
            context.writeAndFlush(self.wrapOutboundOut(.head(self.head(status, headers))), promise: nil)
            if sendsBody && body.chunkCount > 0 {
                self.writeChunk(0, of: body, context: context)
            } else {
                self.writeEnd(context: context)
            }
        }
    }

    /// Writes chunk `index`; the next one follows when this write completed (backpressure), after the chunk delay.
    private func writeChunk(_ index: Int, of body: StreamedBody, context: ChannelHandlerContext) {
        guard self.isOpen else { return }
        let chunk = body.makeChunk(index)
        let written = context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(chunk))))
        written.assumeIsolated().whenComplete { result in
            guard case .success = result, self.isOpen else { return }
            let next = index + 1
            if next == body.chunkCount {
                self.writeEnd(context: context)
            } else if body.chunkDelay > .zero {
                self.inFlight?.scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: body.chunkDelay) {
                    self.writeChunk(next, of: body, context: context)
                }
            } else {
                // A write can complete inside the flush above; hop once so large bodies don't recurse.
                context.eventLoop.assumeIsolated().execute { self.writeChunk(next, of: body, context: context) }
            }
        }
    }

    private func writeEnd(context: ChannelHandlerContext) {
        let keepAlive = self.inFlight?.keepAlive ?? true
        let written = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        self.finishInFlight()
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    // MARK: Injected resets

    /// `reset-body`: the head (with the whole body's length) and the first half of the body, flushed, then a reset.
    private func writeHalfThenReset(
        _ response: DemoResponse,
        headers: HTTPHeaders,
        sendsBody: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = headers
        var part = ByteBuffer()
        switch response.body {
        case .never, .empty:
            break
        case .full(let buffer):
            headers.replaceOrAdd(name: "content-length", value: String(buffer.readableBytes))
            part = buffer.getSlice(at: buffer.readerIndex, length: buffer.readableBytes / 2) ?? ByteBuffer()
        case .streamed(let body):
            if let length = body.contentLength {
                headers.replaceOrAdd(name: "content-length", value: String(length))
            } else {
                headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
            }
            if body.chunkCount > 0 {
                let chunk = body.makeChunk(0)
                part = chunk.getSlice(at: chunk.readerIndex, length: max(1, chunk.readableBytes / 2)) ?? chunk
            }
        }
        context.write(self.wrapOutboundOut(.head(self.head(response.status, headers))), promise: nil)
        if sendsBody && part.readableBytes > 0 {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
        }
        context.flush()
        self.reset(context: context)
    }

    /// A reset (RST): `SO_LINGER` 0, then close. What was flushed before it has reached the socket; on loopback the
    /// RST discards nothing already sent.
    private func reset(context: ChannelHandlerContext) {
        self.finishInFlight()
        let channel = context.channel
        let lingerSet = (channel as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
            ?? channel.eventLoop.makeSucceededVoidFuture()
        lingerSet.whenComplete { _ in channel.close(promise: nil) }
    }

    /// Runs the response's `onFinish` once and cancels its timer (if the connection went away first).
    private func finishInFlight() {
        guard let inFlight = self.inFlight else { return }
        self.inFlight = nil
        inFlight.scheduled?.cancel()
        inFlight.onFinish?()
    }

    private func head(_ status: HTTPResponseStatus, _ headers: HTTPHeaders) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }
}
