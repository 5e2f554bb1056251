import CacheStore
import HTTPCaching
import HTTPRequestParsing
import NIOCore
import NIOHTTP1
import Observability
import ProxyConfig
import RedisCache

/// The whole client side of one connection: it reads requests with its own `RequestParser` (strict RFC 9112,
/// no decoder handler in front of it), encodes its own responses (`ResponseWire`), keeps pipelined requests in
/// order, and answers fresh hits right here on the event loop: no `Task`, no body copy. Misses and writes go
/// upstream through an `UpstreamExchange` whose callbacks run on this same event loop.
///
/// The connection's phases, deadlines and read gating are decided by `ConnectionStateMachine`; this class is the
/// shell that reports events to it and performs the actions it returns (read, parse, close, time out).
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
        /// The most header fields a request head may have (`max_header_fields`).
        var maxHeaderFields: Int = 100
    }

    // MARK: Connection state

    /// Phases, deadlines, keep-alive and read gating.
    var machine: ConnectionStateMachine
    /// The one timer of the connection; it fires at the earliest deadline (or sooner, and is re-armed).
    private var timer: Scheduled<Void>?
    /// The clock read at the start of the `channelRead` being handled (see `loopNow`); nil outside one.
    private var readTime: NIODeadline?
    /// Who is at the other end, and whether its forwarding fields are believed.
    private(set) var peer = ClientPeer(ip: nil, trusted: false)

    // MARK: Per-request state

    /// The request being answered; nil between requests, and once its response has been written.
    var current: RequestState?
    /// Body bytes of the request being read (answered or not).
    var bodyBytes = 0
    /// How the response being written is delimited.
    var framing: BodyFraming = .none
    private var nextExchangeID = 0
    private var flushScheduled = false
    /// The record of the request being answered, for metrics and the access log; nil when nothing observes
    /// requests, and once it has been emitted.
    var record: RequestRecord?
    /// The proxy's observers as this connection's event loop sees them (`RequestObserver.observer(on:)`).
    private var observers: [RequestObserver] = []
    /// This connection's request counts in `inFlight` (until its response ends or the connection goes).
    private var countedInFlight = false
    /// Upstream exchanges that go on after their client left (finish_on_client_abort, or followers waiting on the
    /// fetch), by exchange id.
    var detached: [Int: RequestState] = [:]

    /// The last credentials this connection sent and their partition (dropped with the connection).
    var partitionMemo = CredentialHasher.Memo()
    /// The bytes of the last primary key this connection looked up (`serveFreshHit`): kept, so that a hit makes no
    /// string of its key.
    var keyScratch: [UInt8] = []
    /// The last `Host` of this connection and the authority it gave (an untrusted peer's only; see `authority`).
    var authorityMemo: (host: String, authority: String)?
    /// The routing table this connection last used, and the proxy's table generation it belongs to.
    private var table: RoutingTable?
    private var tableGeneration = -1

    // MARK: Request parsing

    private var parser: RequestParser
    /// Received bytes not yet parsed: the rest of a request, or pipelined requests that wait for the response
    /// before them. Nil when empty, so the channel's receive buffer can be reused.
    private var inbound: ByteBuffer?

    init(proxy: ProxyContext, limits: Limits) {
        self.proxy = proxy
        self.limits = limits
        self.parser = RequestParser(
            limits: RequestParser.Limits(maxHeadBytes: limits.maxHeaderBytes, maxFields: limits.maxHeaderFields)
        )
        let server = proxy.table.configuration.server
        self.machine = ConnectionStateMachine(timeouts: Self.timeouts(server), now: .now())
    }

    static func timeouts(_ server: ServerSettings) -> ConnectionStateMachine.Timeouts {
        ConnectionStateMachine.Timeouts(
            header: TimeAmount(server.clientHeaderTimeout),
            body: TimeAmount(server.clientBodyTimeout),
            keepAlive: TimeAmount(server.keepaliveTimeout),
            send: TimeAmount(server.sendTimeout)
        )
    }

    /// Whether the connection may be reused after this response (the state machine's; a response framing that
    /// needs the close, or an error answer, revokes it).
    var keepAlive: Bool {
        get { self.machine.keepAlive }
        set { if !newValue { self.machine.keepAliveRevoked() } }
    }

    /// The event loop's clock (virtual on an `EmbeddedEventLoop`): deadlines are measured against it. Read once
    /// per `channelRead` (`readTime`): a hit is answered inside it, and each state machine event of it would
    /// otherwise read the clock again.
    var loopNow: NIODeadline { self.readTime ?? self.context?.eventLoop.now ?? .now() }

    /// A record is being built and not yet emitted.
    var recording: Bool { self.record != nil }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.allocator = context.channel.allocator
        self.observers = self.proxy.observers.map { $0.observer(on: context.eventLoop) }
        let table = self.currentTable()
        self.machine = ConnectionStateMachine(timeouts: Self.timeouts(table.configuration.server), now: context.eventLoop.now)
        self.peer = ClientPeer(address: context.channel.remoteAddress, trustedProxies: table.configuration.server.trustedProxies)
        self.armTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.abandonCurrent()
        self.timer?.cancel()
        self.timer = nil
        self.context = nil
    }

    /// Stops whatever the current request still has running: its upstream exchange, the followers waiting on
    /// it (they are released or aborted), its own subscription to another request's fetch. An exchange whose
    /// response is being stored goes on without its client when the rule keeps generations
    /// (`finish_on_client_abort`) or other clients follow it.
    func abandonCurrent() {
        guard let current = self.current else { return }
        self.current = nil
        if let exchange = current.exchange, !exchange.isFinished {
            if current.pending != nil, current.route.rule?.finishOnClientAbort == true || current.fetch?.hasFollowers == true {
                // The response is paid for (or awaited by others): keep fetching so the next client gets a hit.
                self.detached[exchange.id] = current
                exchange.owner = self
            } else {
                exchange.cancel()
                current.fetch?.publishFailure()
                current.lease?.release(.failed)
            }
        }
        if let wait = current.flight {
            // It waited on another instance's fetch: stop, and let this instance's followers fetch for themselves.
            self.stopWatching(wait)
            current.fetch?.publishFailure()
        }
        current.subscription?.cancel()
    }

    /// A detached exchange (its client left) finished: store what it fetched. Returns false when `exchange` is
    /// not detached.
    func finishDetached(exchange: UpstreamExchange) -> Bool {
        guard let state = self.detached.removeValue(forKey: exchange.id) else { return false }
        let verdict = self.commit(state)
        self.recordBilled(state, units: verdict.units)
        state.fetch?.publishEnd()
        exchange.owner = nil
        return true
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.readTime = context.eventLoop.now
        defer { self.readTime = nil }
        var bytes = self.unwrapInboundIn(data)
        if self.inbound == nil {
            self.inbound = bytes
        } else {
            self.inbound!.writeBuffer(&bytes)
        }
        self.machine.bytesReceived(now: self.loopNow)
        self.parseInbound(context: context)
    }

    /// Hands the requests in `inbound` to `process`, part by part. HTTP/1.1 pipelining: a request's head waits
    /// (and reading pauses) until the response before it has ended; after a response that closes the
    /// connection, nothing more is read (RFC 9112 §9.6).
    private func parseInbound(context: ChannelHandlerContext) {
        guard self.machine.parsingStarted() else { return }  // the loop below is already running: it goes on
        var waiting = false
        // `inbound` stays set (empty, perhaps) until the loop ends: a `.end` that follows the last body bytes
        // needs no bytes of its own.
        parsing: while self.inbound != nil {
            if self.parser.isAtMessageStart {
                guard self.inbound!.readableBytes > 0 else { break }
                switch self.machine.nextRequestMayStart() {
                case .start:
                    break
                case .wait:
                    waiting = true
                    break parsing
                case .discard:
                    self.inbound = nil
                    break parsing
                }
            }
            let part: HTTPServerRequestPart?
            do {
                part = try self.parser.next(from: &self.inbound!)
            } catch {
                self.inbound = nil
                _ = self.machine.parsingEnded(waiting: false)
                self.rejectRequest(error as? RequestParseError ?? RequestParseError(.malformed, "unreadable request"))
                return
            }
            guard let part else { break }
            self.process(part, context: context)
            if self.machine.isClosing {
                self.inbound = nil
                break
            }
        }
        if self.inbound?.readableBytes == 0 {
            // Let the channel reuse its receive buffer.
            self.inbound = nil
        }
        if let inbound = self.inbound, inbound.readerIndex > 4096, inbound.readerIndex > inbound.readableBytes {
            self.inbound!.discardReadBytes()
        }
        self.perform(self.machine.parsingEnded(waiting: waiting))
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            self.machine.headReceived(keepAlive: head.isKeepAlive, hasBody: self.parser.expectsBody, now: self.loopNow)
            self.receiveHead(head, context: context)
        case .body(let buffer):
            self.machine.bodyReceived(now: self.loopNow)
            self.receiveBody(buffer, context: context)
        case .end:
            if self.current?.keyedBody != nil {
                self.finishKeyedBody(context: context)
            } else {
                self.current?.exchange?.bodyStreamer?.end()
            }
            self.perform(self.machine.requestEnded(now: self.loopNow, buffered: self.hasBufferedBytes))
        }
        self.armTimer()
    }

    private var hasBufferedBytes: Bool { (self.inbound?.readableBytes ?? 0) > 0 }

    /// The request whose head was just parsed has a body (`Content-Length` above 0, or chunked).
    var parserExpectsBody: Bool { self.parser.expectsBody }

    func channelInactive(context: ChannelHandlerContext) {
        // The client left: stop the upstream request; a partial response is never stored.
        self.machine.closing()
        self.record?.outcome.reason = .proxy(.clientClosed)
        self.endRecordIfOpen(aborted: true)
        self.abandonCurrent()
        self.setInFlight(false)
        self.inbound = nil
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.proxy.logger.debug("client connection error", metadata: ["error": "\(error)"])
        self.closeConnection()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.machine.writabilityChanged(writable: context.channel.isWritable, now: self.loopNow)
        self.armTimer()
        context.fireChannelWritabilityChanged()
    }

    /// The request bytes are not HTTP/1.1 as RFC 9112 reads it: answer once (400, 414, 431, 501 or 505), then
    /// close, since the byte stream can no longer be trusted. A request whose body went wrong is abandoned (its
    /// upstream exchange cancelled) and answered the same way, unless its response has begun: then only the
    /// close is left.
    private func rejectRequest(_ error: RequestParseError) {
        self.proxy.counters.rejectedRequests.wrappingAdd(1, ordering: .relaxed)
        let answerable: Bool
        switch self.machine.state {
        case .idle, .readingHead: answerable = true
        case .readingBody(_, let response): answerable = response == .notStarted
        case .waitingOnUpstream: answerable = self.current.map { !$0.responseStarted } ?? false
        case .writingResponse, .closing: answerable = false
        }
        guard answerable, let context = self.context, context.channel.isActive else {
            self.proxy.logger.debug("unreadable request", metadata: ["reason": "\(error.reason)"])
            self.cutConnection()
            return
        }
        let message = error.kind == .malformed ? "malformed HTTP request: \(error.reason)" : error.reason
        if self.current == nil, self.record == nil, !self.proxy.observers.isEmpty {
            // No head was read: the record has what is known (nothing of the target).
            self.record = RequestRecord(start: self.proxy.clock.now(), method: "", target: "")
        }
        self.abandonCurrent()
        // The byte stream cannot be trusted any more: the answer is the connection's last.
        self.machine.closing()
        self.respondError(ErrorResponse(status: error.status, message: message, close: true), version: .http1_1)
    }

    // MARK: Outbound: reads are held while the upstream is behind on a body or a pipelined request waits

    func read(context: ChannelHandlerContext) {
        if self.machine.readRequested() { context.read() }
    }

    func setReadingPaused(_ paused: Bool) {
        self.perform(self.machine.upstreamBackpressure(paused: paused, now: self.loopNow))
        self.armTimer()
    }

    // MARK: Request head

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        self.bodyBytes = 0
        self.current = nil
        self.proxy.counters.requests.wrappingAdd(1, ordering: .relaxed)
        self.setInFlight(true)
        // One reading of the clock: the record's start and the RFC 9111 request_time are the same instant.
        let now = self.proxy.clock.now()
        if !self.proxy.observers.isEmpty {
            self.record = RequestRecord(start: now, method: head.method.rawValue, target: head.uri)
        }
        let table = self.currentTable()
        if let refusal = self.refusal(of: head, table: table) {
            if let path = refusal.loggedTarget { self.record?.target = path }
            return self.respondError(refusal.error, version: head.version)
        }
        if self.answerLocally(head, table: table) { return }

        let method = head.method.rawValue
        let path = head.uri.pathWithoutQuery
        guard let route = table.router.route(method: method, path: path) else {
            // No route, so no list of credential parameters: the access log gets the path without its query.
            self.record?.target = path
            return self.respondError(.noRoute, version: head.version)
        }
        if self.record != nil {
            self.record!.rule = route.rule?.name ?? ""
            self.record!.upstream = route.upstream.settings.name
            self.record!.labelIDs = route.labelIDs
            if !route.keyQueryParams.isEmpty {
                self.record!.target = route.credentialShape.target(of: head.uri)
            }
        }
        let isRead = head.method == .GET || head.method == .HEAD
        let traits = RequestTraits(head.headers)
        let passesWithBody = isRead && self.parserExpectsBody
        var controls: ClientControls?
        if traits.hasClientControls, route.rule?.clientControls == true {
            switch ClientControls.parse(head.headers) {
            case .success(let parsed): controls = parsed
            case .failure(let error): return self.respondError(error.response, version: head.version)
            }
        }
        var probe: StoreProbe?
        if isRead, !passesWithBody, controls == nil {
            switch self.serveFreshHit(head, route: route, traits: traits, path: path, now: now, context: context) {
            case .answered: return
            case .probed(let probed): probe = probed
            case .skipped: break
            }
        }
        var state = RequestState(head: head, route: route, table: table, path: path, now: now, traits: traits)
        state.peer = self.peer
        state.controls = controls

        if passesWithBody {
            // get_with_body = "pass": a body is not part of a GET's key, so it may never shape a shared entry.
            state.forward = .bypass
            state.reason = .proxy(.requestBody)
        } else if isRead {
            if self.lookup(&state, context: context, probe: probe) { return }
            if self.lookupBelow(&state, context: context, pendingBody: nil) { return }
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
        // `self.current` read field by field, not copied whole: this runs for every body part.
        guard self.current != nil else {
            // Already answered (an early response): the rest of the body is read and dropped, up to the limit.
            if self.bodyBytes > self.limits.maxRequestBody { self.closeConnection() }
            return
        }
        if self.bodyBytes > self.limits.maxRequestBody {
            let current = self.current!
            current.exchange?.cancel()
            if current.responseStarted {
                self.cutConnection()
            } else {
                self.abandonCurrent()
                self.respondError(
                    ErrorResponse(status: .payloadTooLarge, message: "request body exceeds max_request_body", close: true),
                    version: current.head.version
                )
            }
            return
        }
        if self.current!.keyedBody != nil {
            return self.appendKeyedBody(buffer, context: context)
        }
        self.current!.exchange?.bodyStreamer?.append(buffer)
    }

    // MARK: Deadlines

    /// Arms the connection's timer when none is armed and a deadline runs: at that deadline, or sooner (the
    /// shortest configured timeout from now), so that a deadline set later is never missed (it cannot be sooner
    /// than that). Costs nothing while the timer is armed, which is nearly always.
    func armTimer() {
        guard self.timer == nil, let deadline = self.machine.nextDeadline, let context = self.context else { return }
        let at = min(deadline, self.loopNow + self.machine.timeouts.shortest)
        // A strong capture, released when the task runs or is cancelled (handlerRemoved and channelInactive cancel
        // it). Not `[weak self]`: a weak reference gives the handler a side table for good, which moves every
        // retain and release of it (several per request) to the runtime's slow path; measured 9% more CPU per
        // 1 KiB hit (ab.sh B/A 1.09).
        self.timer = context.eventLoop.scheduleTask(deadline: at) { self.timerFired() }
    }

    private func timerFired() {
        self.timer = nil
        guard self.context != nil else { return }
        let table = self.currentTable()
        self.machine.update(timeouts: Self.timeouts(table.configuration.server))
        self.perform(self.machine.timerFired(now: self.loopNow))
        self.armTimer()
    }

    /// Performs what the state machine decided.
    private func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .read:
            self.context?.read()
        case .parse:
            if let context = self.context { self.parseInbound(context: context) }
        case .close:
            self.closeConnection()
        case .timedOut(let timeout):
            self.timedOut(timeout)
        }
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
        self.machine.responseStarted()
        context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
    }

    /// Writes (and flushes) one body part in the current framing. No promise: a caller that must know when the
    /// bytes reached the socket asks `writesCompleted()` afterwards (a promise per part was made, and dropped, on
    /// every hit).
    func writeBody(_ buffer: ByteBuffer, flush: Bool) {
        guard let context = self.context else { return }
        switch self.framing {
        case .none:
            return
        case .chunked:
            guard buffer.readableBytes > 0 else { return }
            self.record?.bytes += buffer.readableBytes
            context.write(
                self.wrapOutboundOut(.byteBuffer(ResponseWire.chunkHeader(size: buffer.readableBytes, allocator: self.allocator))),
                promise: nil
            )
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
            context.write(self.wrapOutboundOut(.byteBuffer(ResponseWire.chunkEnd)), promise: nil)
        case .contentLength, .closeDelimited:
            self.record?.bytes += buffer.readableBytes
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        }
        if flush { context.flush() }
    }

    /// A future that completes once everything written so far has reached the socket (an empty write queued
    /// behind it: writes complete in order), or fails when the connection closes first. Nil without a connection.
    func writesCompleted() -> EventLoopFuture<Void>? {
        guard let context = self.context else { return nil }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.write(self.wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: promise)
        return promise.futureResult
    }

    /// Ends the response: the last chunk when chunked, a flush, and a close when the connection is not kept.
    func writeEnd() {
        guard let context = self.context else { return }
        if self.framing == .chunked {
            context.write(self.wrapOutboundOut(.byteBuffer(ResponseWire.lastChunk)), promise: nil)
        }
        self.framing = .none
        self.current = nil
        self.emitRecord()
        let action = self.machine.responseEnded(now: self.loopNow, buffered: self.hasBufferedBytes)
        if self.machine.isClosing {
            self.closeConnection()
        } else {
            context.flush()
            self.perform(action)
            self.armTimer()
        }
    }

    /// The proxy's current table, without its lock unless a reload replaced it since this connection's last
    /// request.
    func currentTable() -> RoutingTable {
        let generation = self.proxy.tableGeneration.load(ordering: .acquiring)
        if let table = self.table, generation == self.tableGeneration { return table }
        let table = self.proxy.table
        if self.table != nil, let context = self.context {
            // A reload: trusted proxies and deadlines may have changed.
            self.peer = ClientPeer(address: context.channel.remoteAddress, trustedProxies: table.configuration.server.trustedProxies)
            self.authorityMemo = nil
            self.machine.update(timeouts: Self.timeouts(table.configuration.server))
        }
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
        guard var record = self.record else { return }
        self.record = nil
        record.totalSeconds = max(0, self.proxy.clock.now() - record.start)
        self.proxy.phases?.count(record.phase)
        for observer in self.observers { observer.observe(record) }
    }

    /// A request whose response did not complete (the client left, the response was cut) is still logged and
    /// counted: outcome `aborted`, with the bytes actually written.
    func endRecordIfOpen(aborted: Bool) {
        guard self.record != nil else { return }
        if aborted { self.record!.phase = .aborted }
        self.emitRecord()
    }

    /// Writes a generated error response (never stored) and ends the exchange. `outcome` (phase `error`), when the
    /// request reached the cache, gives its `Cache-Status`.
    func respondError(_ error: ErrorResponse, version: HTTPVersion, outcome: RequestOutcome? = nil) {
        guard self.context != nil else { return }
        var error = error
        if !self.keepAlive { error.close = true }
        if error.close { self.keepAlive = false }
        let (head, body) = error.head(version: version, cacheStatus: outcome?.headerValue)
        let method = self.current?.head.method ?? .GET
        self.record?.outcome = outcome ?? RequestOutcome(.error)
        self.record?.status = Int(error.status.code)
        self.current = nil
        self.writeHead(head, requestMethod: method == .HEAD ? .HEAD : .GET)
        self.writeBody(body, flush: false)
        self.writeEnd()
    }

    /// Cuts the connection: the response cannot be completed honestly. What was written so far is flushed first,
    /// so the client sees a truncated response (and retries), not a server that never answered.
    func abortConnection() {
        self.cutConnection()
    }

    func cutConnection() {
        self.machine.closing()
        self.endRecordIfOpen(aborted: true)
        self.abandonCurrent()
        self.inbound = nil
        self.closeConnection()
    }

    /// Closes after what was written reaches the socket.
    private func closeConnection() {
        self.machine.closing()
        guard let context = self.context else { return }
        context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(ByteBuffer()))).whenComplete { _ in
            context.close(promise: nil)
        }
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
