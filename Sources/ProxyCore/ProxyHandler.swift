import CacheStore
import HTTPCaching
import HTTPRequestParsing
import NIOCore
import NIOHTTP1
import ProxyConfig

/// The whole client side of one connection: it reads requests with its own `RequestParser` (strict RFC 9112,
/// no decoder handler in front of it), encodes its own responses (`ResponseWire`), keeps pipelined requests in
/// order, and answers fresh hits right here on the event loop: no `Task`, no body copy. Misses and writes go
/// upstream through an `UpstreamExchange` whose callbacks run on this same event loop.
final class ProxyHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    let proxy: ProxyContext
    let limits: Limits
    var context: ChannelHandlerContext?
    /// The channel's allocator, read once (the channel getter costs a retain and a release per call).
    var allocator = ByteBufferAllocator()

    struct Limits {
        var maxRequestBody: Int
        /// The longest request head, request line included (`max_header_bytes`).
        var maxHeaderBytes: Int
    }

    // MARK: Per-request state

    /// The request being answered; nil between requests.
    var current: RequestState?
    /// The client sent the request's `.end`.
    var requestEnded = true
    /// We wrote the response's end (or gave up on the connection).
    var responseEnded = true
    var keepAlive = true
    var bodyBytes = 0
    /// How the response being written is delimited.
    var framing: BodyFraming = .none
    private var nextExchangeID = 0
    private var flushScheduled = false
    /// The record of the request being answered, for metrics and the access log (built only when observed).
    var record = RequestRecord()
    /// A record is being built and not yet emitted.
    var recording = false
    /// The proxy's observers as this connection's event loop sees them (`RequestObserver.observer(on:)`).
    private var observers: [RequestObserver] = []
    /// This connection's request counts in `inFlight` (until its response ends or the connection goes).
    private var countedInFlight = false
    /// Upstream exchanges that go on after their client left (finish_on_client_abort), by exchange id.
    var detached: [Int: RequestState] = [:]

    /// The last credentials this connection sent and their partition (dropped with the connection).
    var partitionMemo = CredentialHasher.Memo()
    /// The routing table this connection last used, and the proxy's table generation it belongs to.
    private var table: RoutingTable?
    private var tableGeneration = -1

    // MARK: Request parsing, pipelining and read backpressure

    private var parser: RequestParser
    /// Received bytes not yet parsed: the rest of a request, or pipelined requests that wait for the response
    /// before them. Nil when empty, so the channel's receive buffer can be reused.
    private var inbound: ByteBuffer?
    private var parsing = false
    private var pausedForBody = false
    private var pausedForPipeline = false
    private var readHeld = false
    /// The connection is being cut (`abortConnection`): what was written is flushing; nothing more is read.
    var cutting = false

    init(proxy: ProxyContext, limits: Limits) {
        self.proxy = proxy
        self.limits = limits
        self.parser = RequestParser(limits: RequestParser.Limits(maxHeadBytes: limits.maxHeaderBytes))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.allocator = context.channel.allocator
        self.observers = self.proxy.observers.map { $0.observer(on: context.eventLoop) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.abandonCurrent()
        self.context = nil
    }

    /// Stops whatever the current request still has running: its upstream exchange, the followers waiting on
    /// it (they are released or aborted), its own subscription to another request's fetch.
    func abandonCurrent() {
        guard let current = self.current else { return }
        self.current = nil
        if let exchange = current.exchange, !exchange.isFinished {
            if current.route.rule?.finishOnClientAbort == true, current.pending != nil {
                // finish_on_client_abort: the generation is paid for; keep fetching so the next client gets a hit.
                self.detached[exchange.id] = current
                exchange.owner = self
            } else {
                exchange.cancel()
                current.fetch?.publishFailure()
            }
        }
        current.subscription?.cancel()
    }

    /// A detached exchange (its client left) finished: store what it fetched. Returns false when `exchange` is
    /// not detached.
    func finishDetached(exchange: UpstreamExchange) -> Bool {
        guard let state = self.detached.removeValue(forKey: exchange.id) else { return false }
        self.commit(state)
        state.fetch?.publishEnd()
        exchange.owner = nil
        return true
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.cutting else { return }
        var bytes = self.unwrapInboundIn(data)
        if self.inbound == nil {
            self.inbound = bytes
        } else {
            self.inbound!.writeBuffer(&bytes)
        }
        self.parseInbound(context: context)
    }

    /// Hands the requests in `inbound` to `process`, part by part. HTTP/1.1 pipelining: a request's head waits
    /// (and reading pauses) until the response before it has ended; after a response that closes the
    /// connection, nothing more is read (RFC 9112 §9.6).
    private func parseInbound(context: ChannelHandlerContext) {
        guard !self.parsing else { return }  // `process` answered synchronously: the loop below goes on
        self.parsing = true
        defer { self.parsing = false }
        // `inbound` stays set (empty, perhaps) until the loop ends: a `.end` that follows the last body bytes
        // needs no bytes of its own.
        while self.inbound != nil {
            if self.parser.isAtMessageStart {
                guard self.inbound!.readableBytes > 0 else { break }
                if !self.responseEnded {
                    self.pausedForPipeline = true
                    return
                }
                if !self.keepAlive {
                    self.inbound = nil
                    break
                }
            }
            let part: HTTPServerRequestPart?
            do {
                part = try self.parser.next(from: &self.inbound!)
            } catch {
                self.inbound = nil
                self.rejectRequest(error as? RequestParseError ?? RequestParseError(.malformed, "unreadable request"))
                return
            }
            guard let part else { break }
            self.process(part, context: context)
        }
        if self.inbound?.readableBytes == 0 {
            // Let the channel reuse its receive buffer.
            self.inbound = nil
        }
        if let inbound = self.inbound, inbound.readerIndex > 4096, inbound.readerIndex > inbound.readableBytes {
            self.inbound!.discardReadBytes()
        }
        if self.pausedForPipeline {
            self.pausedForPipeline = false
            self.resumeReadingIfPossible()
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            self.receiveHead(head, context: context)
        case .body(let buffer):
            self.receiveBody(buffer, context: context)
        case .end:
            self.requestEnded = true
            if self.current?.keyedBody != nil {
                self.finishKeyedBody(context: context)
            } else {
                self.current?.exchange?.bodyStreamer?.end()
            }
            self.finishIfDone()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client left: stop the upstream request; a partial response is never stored. A request still being
        // answered gets its access-log line and metrics, as aborted. (A response that ended, and closed the connection
        // as it did, has its record emitted by `writeEnd`.)
        if !self.responseEnded { self.emitAbortedRecord(detail: "client-closed") }
        self.abandonCurrent()
        self.setInFlight(false)
        self.inbound = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.proxy.logger.debug("client connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// The request bytes are not HTTP/1.1 as RFC 9112 reads it: answer once (400, 414, 431, 501 or 505), then
    /// close, since the byte stream can no longer be trusted. A request whose body went wrong is abandoned (its
    /// upstream exchange cancelled) and answered the same way, unless its response has begun: then only the
    /// close is left.
    private func rejectRequest(_ error: RequestParseError) {
        let answerable = self.responseEnded ? self.requestEnded : self.current.map { !$0.responseStarted } ?? false
        guard answerable, let context = self.context, context.channel.isActive else {
            self.proxy.logger.debug("unreadable request", metadata: ["reason": "\(error.reason)"])
            self.context?.close(promise: nil)
            return
        }
        let message = error.kind == .malformed ? "malformed HTTP request: \(error.reason)" : error.reason
        self.abandonCurrent()
        self.responseEnded = false
        self.requestEnded = true
        self.respondError(ErrorResponse(status: error.status, message: message, close: true), version: .http1_1)
    }

    // MARK: Outbound: hold reads while the upstream is behind on a body or a pipelined request waits

    func read(context: ChannelHandlerContext) {
        if self.pausedForBody || self.pausedForPipeline {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    func setReadingPaused(_ paused: Bool) {
        self.pausedForBody = paused
        self.resumeReadingIfPossible()
    }

    private func resumeReadingIfPossible() {
        guard !self.pausedForBody, !self.pausedForPipeline, self.readHeld, let context = self.context else { return }
        self.readHeld = false
        context.read()
    }

    // MARK: Request head

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        self.requestEnded = false
        self.responseEnded = false
        self.bodyBytes = 0
        self.keepAlive = head.isKeepAlive
        self.current = nil
        self.proxy.counters.requests.wrappingAdd(1, ordering: .relaxed)
        self.setInFlight(true)
        // One reading of the clock: the record's start and the RFC 9111 request_time are the same instant.
        let now = self.proxy.clock.now()
        if !self.proxy.observers.isEmpty {
            self.record = RequestRecord(start: now, method: head.method.rawValue, target: head.uri)
            self.recording = true
        }

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

        let table = self.currentTable()
        let method = head.method.rawValue
        let path = head.uri.pathWithoutQuery
        guard let route = table.router.route(method: method, path: path) else {
            // No route, so no list of credential parameters: the access log gets the path without its query.
            self.record.target = path
            return self.respondError(.noRoute, version: head.version)
        }
        if self.recording {
            self.record.rule = route.rule?.name ?? ""
            self.record.upstream = route.upstream.settings.name
            self.record.labelIDs = route.labelIDs
            if route.keyQueryParams.isEmpty {
                self.record.target = head.uri
            } else {
                self.record.target = route.credentialShape.target(of: head.uri)
            }
        }
        let isRead = head.method == .GET || head.method == .HEAD
        let traits = RequestTraits(head.headers)
        var probe: StoreProbe?
        if isRead {
            switch self.serveFreshHit(head, route: route, traits: traits, path: path, now: now, context: context) {
            case .answered: return
            case .probed(let probed): probe = probed
            case .skipped: break
            }
        }
        var state = RequestState(head: head, route: route, table: table, path: path, now: now, traits: traits)

        if isRead {
            if self.lookup(&state, context: context, probe: probe) { return }
            if self.lookupL2(&state, context: context, pendingBody: nil) { return }
            if self.coalesce(&state, context: context) { return }
        } else if head.method == .POST || head.method == .PUT, state.route.rule?.cacheBody == true {
            if self.beginKeyedBody(&state, context: context) { return }
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
                self.abortConnection(detail: "body-too-large")
            } else {
                self.respondError(
                    ErrorResponse(status: .payloadTooLarge, message: "request body exceeds max_request_body", close: true),
                    version: current.head.version
                )
            }
            return
        }
        if current.keyedBody != nil {
            return self.appendKeyedBody(buffer, context: context)
        }
        current.exchange?.bodyStreamer?.append(buffer)
    }

    // MARK: Writing responses

    /// Writes a response head and remembers how its body is framed.
    func writeHead(_ head: HTTPResponseHead, requestMethod: HTTPMethod) {
        guard let context = self.context else { return }
        var headers = head.headers
        self.framing = ResponseWire.framing(
            status: Int(head.status.code),
            headers: &headers,
            requestMethod: requestMethod,
            version: head.version,
            keepAlive: &self.keepAlive
        )
        if !self.keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let buffer = ResponseWire.encodeHead(
            HTTPResponseHead(version: head.version, status: head.status, headers: headers),
            allocator: self.allocator
        )
        context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
    }

    /// Writes (and flushes) one body part in the current framing.
    func writeBody(_ buffer: ByteBuffer, flush: Bool) -> EventLoopFuture<Void>? {
        guard let context = self.context else { return nil }
        switch self.framing {
        case .none:
            return nil
        case .chunked:
            guard buffer.readableBytes > 0 else { return nil }
            self.record.bytes += buffer.readableBytes
            context.write(
                self.wrapOutboundOut(.byteBuffer(ResponseWire.chunkHeader(size: buffer.readableBytes, allocator: self.allocator))),
                promise: nil
            )
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
            let promise = context.eventLoop.makePromise(of: Void.self)
            context.write(self.wrapOutboundOut(.byteBuffer(ResponseWire.chunkEnd)), promise: promise)
            if flush { context.flush() }
            return promise.futureResult
        case .contentLength, .closeDelimited:
            self.record.bytes += buffer.readableBytes
            let promise = context.eventLoop.makePromise(of: Void.self)
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
            if flush { context.flush() }
            return promise.futureResult
        }
    }

    /// Ends the response: the last chunk when chunked, a flush, and a close when the connection is not kept.
    func writeEnd() {
        guard let context = self.context else { return }
        self.responseEnded = true
        if self.framing == .chunked {
            context.write(self.wrapOutboundOut(.byteBuffer(ResponseWire.lastChunk)), promise: nil)
        }
        if self.keepAlive {
            context.flush()
        } else {
            context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(ByteBuffer()))).whenComplete { _ in
                context.close(promise: nil)
            }
        }
        self.framing = .none
        self.emitRecord()
        self.finishIfDone()
    }

    /// The proxy's current table, without its lock unless a reload replaced it since this connection's last
    /// request.
    private func currentTable() -> RoutingTable {
        let generation = self.proxy.tableGeneration.load(ordering: .acquiring)
        if let table = self.table, generation == self.tableGeneration { return table }
        let table = self.proxy.table
        self.table = table
        self.tableGeneration = generation
        return table
    }

    private func setInFlight(_ inFlight: Bool) {
        guard inFlight != self.countedInFlight else { return }
        self.countedInFlight = inFlight
        self.proxy.counters.inFlight.wrappingAdd(inFlight ? 1 : -1, ordering: .relaxed)
    }

    /// Hands the finished request's record to the observers (metrics, access log), once.
    func emitRecord() {
        self.setInFlight(false)
        guard self.recording else { return }
        self.recording = false
        self.record.totalSeconds = max(0, self.proxy.clock.now() - self.record.start)
        // One copy of the record for every observer (reading the property per call would copy it each time).
        let record = self.record
        for observer in self.observers { observer.observe(record) }
    }

    /// Writes a generated error response (never stored) and ends the exchange.
    func respondError(_ error: ErrorResponse, version: HTTPVersion, cacheStatus: String? = nil) {
        guard self.context != nil else { return }
        var error = error
        if !self.keepAlive { error.close = true }
        if error.close { self.keepAlive = false }
        let (head, body) = error.head(version: version, cacheStatus: cacheStatus)
        let method = self.current?.head.method ?? .GET
        self.record.outcome = .error
        self.record.status = Int(error.status.code)
        self.current = nil
        self.writeHead(head, requestMethod: method == .HEAD ? .HEAD : .GET)
        _ = self.writeBody(body, flush: false)
        self.writeEnd()
    }

    /// Cuts the connection: the response cannot be completed honestly. What was written is flushed first, so the
    /// client sees a truncated response rather than a server that never answered (`ProxyHandler+Abort.swift`); the
    /// request is counted and logged as aborted, with `detail` saying why.
    func abortConnection(detail: String = "upstream-error") {
        self.responseEnded = true
        self.keepAlive = false
        self.emitAbortedRecord(detail: detail)
        self.emitRecord()
        self.abandonCurrent()
        self.inbound = nil
        self.cutAfterFlush()
    }

    private func finishIfDone() {
        guard self.requestEnded && self.responseEnded else { return }
        self.current = nil
        // Answer pipelined requests that waited for this response.
        if let context = self.context { self.parseInbound(context: context) }
    }

    /// Flushes at the end of the current event-loop tick (one flush for all the parts written meanwhile).
    func scheduleFlush(context: ChannelHandlerContext) {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        context.eventLoop.execute {
            self.flushScheduled = false
            self.context?.flush()
        }
    }

    func makeExchangeID() -> Int {
        self.nextExchangeID += 1
        return self.nextExchangeID
    }
}
