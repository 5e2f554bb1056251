import NIOCore
import NIOHTTP1
import NIOSSL

/// The response side of ``UpstreamConnection``: decoded parts are queued, then pumped to the handler
/// as fast as its futures allow; reads and the read timeout follow whether the handler wants more.
extension UpstreamConnection {
    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        self.lastProgress = .now()
        guard self.exchange != nil else {
            // The decoder only forwards a response while a request head is outstanding, so this is a
            // protocol violation; drop the connection rather than guess.
            self.close()
            return
        }
        self.exchange?.responseStarted = true
        guard self.exchange?.terminalQueued == false else {
            return
        }
        switch part {
        case .head(let head) where head.status.code == 101:
            // The proxy strips Upgrade, so the upstream was never asked to switch.
            self.enqueue(.failure(self.makeError(.protocolError, "unexpected 101 Switching Protocols")))
        case .head(let head) where head.status.code >= 100 && head.status.code < 200:
            // NIO's decoder with `.forward` emits a 1xx as a lone `.head`, with no `.end`.
            self.enqueue(.informational(head))
        case .head(let head):
            self.exchange?.finalHead = head
            self.enqueue(.head(head))
        case .body(let buffer):
            self.enqueue(.body(buffer))
        case .end:
            self.enqueue(.end)
        }
        self.pump()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.readIssued = false
        self.updateReading()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isOpen = false
        self.disarmReadTimer()
        if self.isPooled {
            self.leavePool()
            self.pool?.remove(self)
        }
        self.idleTimer?.cancel()
        self.idleTimer = nil
        if let exchange = self.exchange, !exchange.terminalQueued {
            self.enqueue(.failure(.eof(responseStarted: exchange.responseStarted, reusedConnection: exchange.reusedConnection)))
        }
        self.pump()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case NIOSSLError.uncleanShutdown = error {
            // The upstream closed TCP without close_notify. The inactive event that follows decides:
            // a close-delimited body ends there (as most clients accept), anything else is `closedEarly`.
            return
        }
        if let exchange = self.exchange, !exchange.terminalQueued {
            let failure = UpstreamError(
                inFlight: error,
                responseStarted: exchange.responseStarted,
                reusedConnection: exchange.reusedConnection
            )
            self.enqueue(.failure(failure))
        }
        self.close()
        self.pump()
    }

    // MARK: Queue and pump

    func makeError(_ kind: UpstreamError.Kind, _ detail: String) -> UpstreamError {
        UpstreamError(kind, detail: detail, reusedConnection: self.exchange?.reusedConnection ?? false)
    }

    /// Queues an event of the current exchange; a terminal one stops reading, and a failure also closes
    /// the connection at once (it is unusable), while the queued parts before it are still delivered.
    func enqueue(_ event: ResponseEvent) {
        self.exchange?.events.append(event)
        switch event {
        case .end:
            self.exchange?.terminalQueued = true
            self.disarmReadTimer()
        case .failure:
            self.exchange?.terminalQueued = true
            self.close()
        case .informational, .head, .body:
            break
        }
    }

    /// Delivers queued events until the handler holds a future or the queue is empty, then lets the
    /// reading follow.
    func pump() {
        guard !self.pumping else {
            return
        }
        self.pumping = true
        while let exchange = self.exchange, !exchange.paused, !exchange.events.isEmpty {
            let event = self.exchange!.events.removeFirst()
            let call = exchange.call
            switch event {
            case .informational(let head):
                call.deliverInformational(head)
            case .head(let head):
                if let future = call.deliverHead(head) {
                    self.pause(until: future, token: exchange.token)
                }
            case .body(let buffer):
                if let future = call.deliverBodyPart(buffer) {
                    self.pause(until: future, token: exchange.token)
                }
            case .end:
                self.finishExchange(exchange)
            case .failure(let error):
                self.exchange = nil
                self.close()
                call.deliverFailure(error)
            }
        }
        self.pumping = false
        self.updateReading()
    }

    /// Holds delivery and reading until `future` completes. A future that is already complete resumes
    /// at once, within the running pump loop.
    private func pause(until future: EventLoopFuture<Void>, token: UInt64) {
        guard self.exchange?.token == token else {
            return  // the handler cancelled the call from its callback
        }
        self.exchange?.paused = true
        future.hop(to: self.eventLoop).assumeIsolated().whenComplete { _ in
            guard self.exchange?.token == token else {
                return
            }
            self.exchange?.paused = false
            self.pump()
        }
    }

    /// The response ended: back to the pool when both sides agreed on keep-alive and the exchange left
    /// the connection clean, otherwise closed. The connection is released before the handler hears of
    /// the end, so a request the handler starts from `upstreamEnd` can reuse it.
    private func finishExchange(_ exchange: Exchange) {
        self.exchange = nil
        let reusable =
            self.isOpen && !self.isClosing && exchange.requestKeepAlive && exchange.requestEndWritten
            && exchange.finalHead.map { $0.isKeepAlive && !Self.isCloseDelimited($0, method: exchange.method) } ?? false
        if !(reusable && (self.pool?.park(self) ?? false)) {
            self.close()
        }
        exchange.call.deliverEnd()
    }

    /// A body delimited by the connection closing (RFC 9112 §6.3, rule 8): no reuse after it.
    static func isCloseDelimited(_ head: HTTPResponseHead, method: HTTPMethod) -> Bool {
        let code = head.status.code
        if method == .HEAD || code < 200 || code == 204 || code == 304 {
            return false
        }
        if head.headers.contains(name: "content-length") {
            return false
        }
        return !head.headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" }
    }

    // MARK: Reading and the read timeout

    /// Issues a read when bytes are wanted, and arms the read timeout only while the response is owed.
    /// Idle connections read too (for EOF), untimed.
    func updateReading() {
        guard self.isOpen, !self.isClosing, let context = self.context else {
            self.disarmReadTimer()
            return
        }
        let wantsBytes: Bool
        let timed: Bool
        if let exchange = self.exchange {
            wantsBytes = !exchange.paused && !exchange.terminalQueued
            timed = wantsBytes && (exchange.requestEndWritten || exchange.responseStarted)
        } else {
            wantsBytes = true
            timed = false
        }
        if wantsBytes && !self.readIssued {
            self.readIssued = true
            context.read()
        }
        if timed {
            self.armReadTimer()
        } else {
            self.disarmReadTimer()
        }
    }

    private func armReadTimer() {
        guard self.readTimer == nil else {
            return
        }
        self.lastProgress = .now()
        self.scheduleReadTimer(deadline: self.lastProgress + self.readTimeout)
    }

    func disarmReadTimer() {
        self.readTimer?.cancel()
        self.readTimer = nil
    }

    /// One timer per wait, moved forward lazily: reads only stamp `lastProgress`, which is cheaper than
    /// rescheduling on every read.
    private func scheduleReadTimer(deadline: NIODeadline) {
        self.readTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.readTimer = nil
            self.readTimerFired()
        }
    }

    private func readTimerFired() {
        guard let exchange = self.exchange, !exchange.paused, !exchange.terminalQueued, self.isOpen, !self.isClosing else {
            return
        }
        let deadline = self.lastProgress + self.readTimeout
        if deadline > .now() {
            self.scheduleReadTimer(deadline: deadline)
            return
        }
        self.enqueue(.failure(self.makeError(.readTimeout, "no upstream bytes within \(self.readTimeout)")))
        self.pump()
    }
}
