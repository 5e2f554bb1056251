import NIOCore

/// The life of one client connection (RFC 9112 §9): which phase it is in, the deadline that phase owns, and whether
/// reading is allowed. A value type: `ProxyHandler` reports each event and performs the action returned, so every
/// rule about ordering (pipelining), backpressure and deadlines lives here and is tested by the actions it returns.
///
/// Deadlines, one per phase (`[server]`): `client_header_timeout` from a head's first byte to its end (for every
/// request, the first included; a new connection waits for its first byte as an idle one does); `client_body_timeout` between two reads of a request body (suspended while
/// reading is paused because the upstream is behind); `keepalive_timeout` while idle between requests; and
/// `send_timeout`, which runs beside any phase while the client leaves its response unread (the channel is not
/// writable). Waiting for the upstream has no client deadline: the upstream's `read_timeout` bounds it.
struct ConnectionStateMachine {
    struct Timeouts: Equatable {
        var header: TimeAmount
        var body: TimeAmount
        var keepAlive: TimeAmount
        var send: TimeAmount

        /// The shortest of them: the timer never sleeps longer, so it is never late for a deadline set later.
        var shortest: TimeAmount { min(self.header, self.body, self.keepAlive, self.send) }
    }

    /// How far the response to the current request has gone.
    enum ResponseProgress: Equatable {
        case notStarted
        case started
        case ended
    }

    enum State: Equatable {
        /// Between requests (or before the first), with nothing of the next one received: `keepalive_timeout`.
        case idle(deadline: NIODeadline)
        /// Part of a request head has arrived.
        case readingHead(deadline: NIODeadline)
        /// The head is read and its body is arriving; the response may already have begun or even ended (an
        /// upstream that answered early). The deadline is nil while reading is paused for the upstream.
        case readingBody(deadline: NIODeadline?, response: ResponseProgress)
        /// The request is complete; its response has not begun (the upstream, Redis or a coalesced fetch is awaited).
        case waitingOnUpstream
        /// The request is complete and its response is being written.
        case writingResponse
        /// The connection is being closed: nothing more is read or answered.
        case closing
    }

    /// What the shell must do after an event.
    enum Action: Equatable {
        case none
        /// Issue the read that was held.
        case read
        /// Parse what is buffered: the response ended, and a pipelined request may be waiting.
        case parse
        /// Close the connection once what was written is flushed.
        case close
        /// A deadline passed: answer or cut as the timeout says, then close.
        case timedOut(Timeout)
    }

    enum Timeout: Equatable {
        /// `keepalive_timeout`: close quietly.
        case keepAlive
        /// `client_header_timeout`: 408 and close.
        case header
        /// `client_body_timeout`: 408 and close before the response began, else cut.
        case body(responseStarted: Bool)
        /// `send_timeout`: cut.
        case send
    }

    /// What the shell should do with a request head found at the front of the buffered bytes.
    enum NextRequest: Equatable {
        /// Parse and answer it.
        case start
        /// The response before it has not ended: leave it buffered (reading is paused until then).
        case wait
        /// The connection will not take another request: drop what is buffered.
        case discard
    }

    private(set) var state: State
    /// The current (or last) request lets the connection be reused (RFC 9112 §9.3).
    private(set) var keepAlive = true
    private(set) var timeouts: Timeouts
    /// Set while the client leaves its response unread: the channel is not writable, or a write that the upstream
    /// waits for has not reached the socket. Moved on by every write that completes.
    private(set) var sendDeadline: NIODeadline?
    private var unwritable = false
    private var writeWaits = 0
    /// The shell's parse loop is running (a response that ends inside it needs no `.parse`).
    private(set) var isParsing = false
    private var readGate = ReadGate()

    /// Why reads are held: `context.read()` is issued only when neither holds.
    private struct ReadGate: Equatable {
        /// The upstream has not taken the request body written so far.
        var upstreamBehind = false
        /// A pipelined request waits for the response before it.
        var pipelined = false
        /// A read was asked for and not issued.
        var held = false

        var isOpen: Bool { !self.upstreamBehind && !self.pipelined }
    }

    init(timeouts: Timeouts, now: NIODeadline) {
        self.timeouts = timeouts
        self.state = .idle(deadline: now + timeouts.keepAlive)
    }

    /// The phase's name, for logs and metrics.
    var phase: String {
        switch self.state {
        case .idle: "idle"
        case .readingHead: "reading-head"
        case .readingBody: "reading-body"
        case .waitingOnUpstream: "waiting-on-upstream"
        case .writingResponse: "writing-response"
        case .closing: "closing"
        }
    }

    /// The earliest deadline now running, if any.
    var nextDeadline: NIODeadline? {
        let phaseDeadline: NIODeadline?
        switch self.state {
        case .idle(let deadline), .readingHead(let deadline): phaseDeadline = deadline
        case .readingBody(let deadline, _): phaseDeadline = deadline
        case .waitingOnUpstream, .writingResponse, .closing: phaseDeadline = nil
        }
        switch (phaseDeadline, self.sendDeadline) {
        case (let a?, let b?): return min(a, b)
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (nil, nil): return nil
        }
    }

    var isClosing: Bool { self.state == .closing }

    /// A reload changed the deadlines: they apply from the next phase on.
    mutating func update(timeouts: Timeouts) {
        self.timeouts = timeouts
    }

    // MARK: Reading requests

    /// Bytes arrived. An idle connection starts reading a head: its header deadline starts now.
    mutating func bytesReceived(now: @autoclosure () -> NIODeadline) {
        if case .idle = self.state {
            self.state = .readingHead(deadline: now() + self.timeouts.header)
        }
    }

    /// A head is at the front of the buffered bytes: may it be parsed now?
    mutating func nextRequestMayStart() -> NextRequest {
        switch self.state {
        case .closing:
            return .discard
        case .idle, .readingHead:
            return self.keepAlive ? .start : .discard
        case .readingBody, .waitingOnUpstream, .writingResponse:
            self.readGate.pipelined = true
            return .wait
        }
    }

    /// A complete request head was parsed.
    mutating func headReceived(keepAlive: Bool, hasBody: Bool, now: @autoclosure () -> NIODeadline) {
        guard self.state != .closing else { return }
        self.keepAlive = keepAlive
        self.state = hasBody ? .readingBody(deadline: self.bodyDeadline(now()), response: .notStarted) : .waitingOnUpstream
    }

    /// A part of the request body was read.
    mutating func bodyReceived(now: @autoclosure () -> NIODeadline) {
        guard case .readingBody(_, let response) = self.state else { return }
        self.state = .readingBody(deadline: self.bodyDeadline(now()), response: response)
    }

    /// The request's last byte was read.
    mutating func requestEnded(now: @autoclosure () -> NIODeadline, buffered: Bool) -> Action {
        guard case .readingBody(_, let response) = self.state else { return .none }
        switch response {
        case .notStarted: self.state = .waitingOnUpstream
        case .started: self.state = .writingResponse
        case .ended: return self.exchangeComplete(now: now(), buffered: buffered)
        }
        return .none
    }

    /// The upstream is behind on the request body (pause reading) or caught up (resume).
    mutating func upstreamBackpressure(paused: Bool, now: @autoclosure () -> NIODeadline) -> Action {
        self.readGate.upstreamBehind = paused
        if case .readingBody(_, let response) = self.state {
            // The client is not slow while we do not read: its body deadline waits too.
            self.state = .readingBody(deadline: self.bodyDeadline(now()), response: response)
        }
        return self.releaseHeldRead()
    }

    /// The channel asks for a read: true when it may be issued now (else it is held).
    mutating func readRequested() -> Bool {
        guard self.readGate.isOpen, self.state != .closing else {
            self.readGate.held = true
            return false
        }
        return true
    }

    /// The shell's parse loop starts: false when it already runs (the caller's loop goes on) or the connection is
    /// closing.
    mutating func parsingStarted() -> Bool {
        guard !self.isParsing, self.state != .closing else { return false }
        self.isParsing = true
        return true
    }

    /// The parse loop ended; `waiting` when it stopped at a request that must wait for the response before it
    /// (reads stay held). Otherwise a request that waited has been started, so reading may resume.
    mutating func parsingEnded(waiting: Bool) -> Action {
        self.isParsing = false
        guard !waiting, self.readGate.pipelined else { return .none }
        self.readGate.pipelined = false
        return self.releaseHeldRead()
    }

    // MARK: Writing responses

    /// The response head was written.
    mutating func responseStarted() {
        switch self.state {
        case .waitingOnUpstream: self.state = .writingResponse
        case .readingBody(let deadline, .notStarted): self.state = .readingBody(deadline: deadline, response: .started)
        default: break
        }
    }

    /// The response's end was written. With the request complete, the connection is idle again (or closes); with
    /// the body still arriving (an early response), it is read and dropped first.
    mutating func responseEnded(now: @autoclosure () -> NIODeadline, buffered: Bool) -> Action {
        switch self.state {
        case .waitingOnUpstream, .writingResponse:
            return self.exchangeComplete(now: now(), buffered: buffered)
        case .readingBody(let deadline, _):
            self.state = .readingBody(deadline: deadline, response: .ended)
            return self.keepAlive ? .none : self.close()
        case .idle, .readingHead, .closing:
            return .none
        }
    }

    /// The channel became writable or not: the send deadline runs while it is not.
    mutating func writabilityChanged(writable: Bool, now: @autoclosure () -> NIODeadline) {
        self.unwritable = !writable
        self.updateSendDeadline(now: now(), progressed: false)
    }

    /// The upstream waits for a body write to reach the socket (the client is slow). A channel can be writable
    /// (below its low watermark) while such a write sits unsent because the client reads nothing: the send
    /// deadline runs then too.
    mutating func writeWaitStarted(now: @autoclosure () -> NIODeadline) {
        self.writeWaits += 1
        self.updateSendDeadline(now: now(), progressed: false)
    }

    /// A write that was waited for reached the socket: the client made progress.
    mutating func writeWaitEnded(now: @autoclosure () -> NIODeadline) {
        self.writeWaits = max(0, self.writeWaits - 1)
        self.updateSendDeadline(now: now(), progressed: true)
    }

    private mutating func updateSendDeadline(now: @autoclosure () -> NIODeadline, progressed: Bool) {
        guard self.unwritable || self.writeWaits > 0 else {
            self.sendDeadline = nil
            return
        }
        if self.sendDeadline == nil || progressed {
            self.sendDeadline = now() + self.timeouts.send
        }
    }

    // MARK: Ending

    /// The connection must not be reused (an error answer, `Connection: close` on the response).
    mutating func keepAliveRevoked() {
        self.keepAlive = false
    }

    /// The shell closes the connection (an unreadable request, a cut, the client left).
    mutating func closing() {
        // The send deadline keeps running: a cut flushes what was written first, and a client that does not read
        // it is still closed on time.
        self.state = .closing
    }

    /// The timer fired: the action for the first deadline that has passed, else `.none` (re-arm for `nextDeadline`).
    mutating func timerFired(now: NIODeadline) -> Action {
        if let send = self.sendDeadline, send <= now {
            self.closing()
            self.sendDeadline = nil
            return .timedOut(.send)
        }
        switch self.state {
        case .idle(let deadline) where deadline <= now:
            self.closing()
            return .timedOut(.keepAlive)
        case .readingHead(let deadline) where deadline <= now:
            self.closing()
            return .timedOut(.header)
        case .readingBody(let deadline?, let response) where deadline <= now:
            self.closing()
            return .timedOut(.body(responseStarted: response != .notStarted))
        default:
            return .none
        }
    }

    // MARK: Helpers

    private func bodyDeadline(_ now: NIODeadline) -> NIODeadline? {
        self.readGate.upstreamBehind ? nil : now + self.timeouts.body
    }

    private mutating func exchangeComplete(now: NIODeadline, buffered: Bool) -> Action {
        guard self.keepAlive else { return self.close() }
        self.state = buffered ? .readingHead(deadline: now + self.timeouts.header) : .idle(deadline: now + self.timeouts.keepAlive)
        return self.isParsing ? .none : .parse
    }

    private mutating func close() -> Action {
        self.closing()
        return .close
    }

    private mutating func releaseHeldRead() -> Action {
        guard self.readGate.held, self.readGate.isOpen, self.state != .closing else { return .none }
        self.readGate.held = false
        return .read
    }
}
