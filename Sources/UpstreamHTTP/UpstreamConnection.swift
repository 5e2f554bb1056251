import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection to the upstream, the last handler of its pipeline. It runs one exchange
/// (request + response) at a time, and between exchanges waits idle, in its event loop's pool or
/// about to be handed to its first call.
///
/// Confinement: created, used and called only on its channel's event loop, which is the loop of every
/// call it serves (the client connects it with `ClientBootstrap(group: call's loop)`), so the handler's
/// callbacks never hop threads. Reads are issued by hand (`autoRead` is off): only while the response
/// handler keeps up, which propagates a slow client's backpressure to the upstream's TCP window.
/// Responses are read by this connection's own `ResponseParser` (no decoder handler in front of it), which is told
/// the method of each request as it is sent. The response side (parsing, pumping events to the handler, timeouts)
/// is in `UpstreamConnection+Response.swift`.
final class UpstreamConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = IOData

    /// What the parser produced, queued in order until the handler can take it.
    enum ResponseEvent {
        case informational(HTTPResponseHead)
        case head(HTTPResponseHead)
        case body(ByteBuffer)
        case end
        case failure(UpstreamError)
    }

    /// The state of the request in flight.
    struct Exchange {
        let call: UpstreamCall
        /// Tells a stale completion (of an earlier exchange's handler future) from the current one.
        let token: UInt64
        let method: HTTPMethod
        let requestKeepAlive: Bool
        let reusedConnection: Bool
        /// How the request body is framed on the wire (`RequestWire`).
        let framing: RequestWire.Framing
        var requestEndWritten = false
        /// Any response byte arrived (an interim head included): EOF is then `closedEarly`, not `unreachable`.
        var responseStarted = false
        var finalHead: HTTPResponseHead?
        /// The parser read the response's end. It is queued when the read that brought it completes, so that bytes
        /// the upstream sent along with it (a body on a 204, a second response) are seen first and fail the exchange.
        var endParsed = false
        /// The end or a failure is queued: nothing more is read or queued for this exchange.
        var terminalQueued = false
        /// Waiting for the handler's head or body future: no reads, no read timeout.
        var paused = false
    }

    let eventLoop: EventLoop
    let readTimeout: TimeAmount
    /// Sent as `Host` when the caller's head has none (HTTP/1.1 requires it).
    let hostHeader: String
    /// The pool this connection returns to; weak because the pool holds its idle connections.
    weak var pool: UpstreamConnectionPool?

    var context: ChannelHandlerContext?
    var exchange: Exchange?
    /// The current exchange's parsed events, not yet delivered (emptied when an exchange begins). Kept here, not in
    /// `Exchange`: one buffer for the connection's life, and no copy of it when a loop holds a copy of the exchange.
    var events = CircularBuffer<ResponseEvent>(initialCapacity: 4)
    var parser: ResponseParser
    /// Received bytes the parser has not taken yet (the start of a head or of a chunk-size line). Nil when empty,
    /// so the channel's receive buffer is handed on without a copy.
    var inbound: ByteBuffer?
    /// False once the channel went inactive. A connection is handed out only after its connect
    /// succeeded, which NIO reports before `channelActive` reaches the pipeline.
    var isOpen = true
    var isClosing = false
    /// Set while `pump()` runs, so a handler future that completes synchronously resumes the
    /// running loop instead of recursing into it.
    var pumping = false
    var readIssued = false
    /// Parts queued by the read in progress (since the last `channelReadComplete`), none of them delivered yet.
    var queuedThisRead = 0
    var readTimer: Scheduled<Void>?
    /// Whether a wait for upstream bytes is being timed (the timer may be scheduled without one).
    var readTimed = false
    /// When upstream bytes last arrived (or the read timer was armed); the timer fires relative to it.
    var lastProgress = NIODeadline.uptimeNanoseconds(0)
    var idleTimer: Scheduled<Void>?
    /// When the connection last entered the pool, and for how long it may stay there.
    var pooledSince = NIODeadline.uptimeNanoseconds(0)
    var idleTimeout = TimeAmount.zero
    var isPooled = false
    var requestCount = 0
    var nextToken: UInt64 = 0

    init(eventLoop: EventLoop, readTimeout: TimeAmount, maxResponseHeadBytes: Int, hostHeader: String, pool: UpstreamConnectionPool) {
        self.eventLoop = eventLoop
        self.parser = ResponseParser(limits: ResponseParser.Limits(maxHeadBytes: maxResponseHeadBytes))
        self.readTimeout = readTimeout
        self.hostHeader = hostHeader
        self.pool = pool
    }

    /// Open, not closing, without an exchange and with no response owed: may take a new request.
    var isUsable: Bool {
        self.isOpen && !self.isClosing && self.exchange == nil && self.parser.isIdle && self.context?.channel.isActive == true
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        // An idle connection reads too: to notice the upstream closing it, and to let a TLS handshake progress.
        self.updateReading()
        context.fireChannelActive()
    }

    func close() {
        guard !self.isClosing else {
            return
        }
        self.isClosing = true
        self.inbound = nil
        self.cancelReadTimer()
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.context?.close(promise: nil)
    }

    // MARK: Pool

    /// Parked in the pool: read for EOF, and close after `idleTimeout`. The timer of an earlier stay may still be
    /// scheduled (leaving the pool leaves it): it then moves forward when it fires, and no task is scheduled here.
    func enterPool(idleTimeout: TimeAmount) {
        self.isPooled = true
        self.pooledSince = .now()
        self.idleTimeout = idleTimeout
        if self.idleTimer == nil { self.scheduleIdleTimer(deadline: self.pooledSince + idleTimeout) }
    }

    private func scheduleIdleTimer(deadline: NIODeadline) {
        self.idleTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.idleTimer = nil
            guard self.isPooled else {
                return
            }
            let deadline = self.pooledSince + self.idleTimeout
            if deadline > .now() {
                self.scheduleIdleTimer(deadline: deadline)
                return
            }
            self.isPooled = false
            self.pool?.remove(self)
            self.close()
        }
    }

    func leavePool() {
        self.isPooled = false
    }

    // MARK: Request (called by UpstreamCall)

    /// Starts `call`'s exchange: writes the head, and the end too for a bodiless request.
    /// The caller checked ``isUsable``.
    func begin(_ call: UpstreamCall) {
        precondition(self.isUsable, "a connection runs one exchange at a time, while open")
        let context = self.context!
        self.requestCount += 1
        self.nextToken &+= 1
        let head = call.head
        // `Host` added when the caller has none; a streamed body without a length goes chunked (`RequestWire`).
        let (encoded, framing) = RequestWire.encodeHead(
            head,
            hostHeader: self.hostHeader,
            streamsBody: call.body == .streamed,
            allocator: context.channel.allocator
        )
        self.events.removeAll(keepingCapacity: true)
        self.exchange = Exchange(
            call: call,
            token: self.nextToken,
            method: head.method,
            requestKeepAlive: head.isKeepAlive,
            reusedConnection: self.requestCount > 1,
            framing: framing
        )
        // The parser must know a HEAD response has no body.
        self.parser.expectResponse(to: head.method)
        context.write(self.wrapOutboundOut(.byteBuffer(encoded)), promise: nil)
        if call.body == .none {
            if framing == .chunked { context.write(self.wrapOutboundOut(.byteBuffer(RequestWire.lastChunk)), promise: nil) }
            self.exchange?.requestEndWritten = true
            context.flush()
        } else if head.headers.contains(name: "expect") {
            // The client waits for 100 Continue before it sends the body: the head must go now.
            context.flush()
        }
        // Otherwise the head leaves with the body's first bytes, which usually arrived with it: one write, not two.
        self.updateReading()
    }

    func writeBodyPart(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?, flush: Bool) {
        guard let exchange = self.exchange, !exchange.requestEndWritten, !self.isClosing, let context = self.context else {
            promise?.fail(UpstreamError(.cancelled, detail: "the request can no longer be written"))
            return
        }
        if exchange.framing == .chunked {
            // An empty chunk would end the body: it is not framed (its promise still completes in order).
            if buffer.readableBytes > 0 {
                let size = RequestWire.chunkHeader(size: buffer.readableBytes, allocator: context.channel.allocator)
                context.write(self.wrapOutboundOut(.byteBuffer(size)), promise: nil)
                context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
                context.write(self.wrapOutboundOut(.byteBuffer(RequestWire.chunkEnd)), promise: promise)
            } else {
                context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
            }
        } else {
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        }
        if flush {
            context.flush()
        }
    }

    func writeRequestEnd() {
        guard let exchange = self.exchange, !exchange.requestEndWritten, !self.isClosing, let context = self.context else {
            return
        }
        self.exchange?.requestEndWritten = true
        if exchange.framing == .chunked {
            context.write(self.wrapOutboundOut(.byteBuffer(RequestWire.lastChunk)), promise: nil)
        }
        context.flush()
        self.updateReading()
    }

    func flush() {
        self.context?.flush()
    }

    /// The caller gave up: the upstream may still be sending, so the connection cannot be reused.
    func cancel(_ call: UpstreamCall) {
        guard let exchange = self.exchange, exchange.call === call else {
            return
        }
        self.exchange = nil
        self.events.removeAll(keepingCapacity: true)
        self.close()
    }
}

@available(*, unavailable)
extension UpstreamConnection: Sendable {}
