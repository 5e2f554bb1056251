import NIOCore
import NIOHTTP1
import NIOSSL

/// The response side of ``UpstreamConnection``: parsed parts are queued, then pumped to the handler
/// as fast as its futures allow; reads and the read timeout follow whether the handler wants more.
extension UpstreamConnection {
    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.lastProgress = .now()
        guard self.exchange != nil, !self.isClosing else {
            // Bytes while no request is outstanding (idle, pooled): the upstream's framing is in doubt; drop the
            // connection rather than read them as the next request's response.
            self.close()
            return
        }
        guard bytes.readableBytes > 0 else { return }
        self.exchange!.responseStarted = true
        guard !self.exchange!.terminalQueued else { return }
        if self.inbound == nil {
            self.inbound = bytes
        } else {
            self.inbound!.writeBuffer(&bytes)
        }
        // Delivered when the read completes (`channelReadComplete`), not now: a protocol error later in the same
        // read must be able to withdraw what came before it.
        self.parseInbound()
    }

    /// Queues every part the parser can take out of `inbound`. After the response's end the parser owes nothing,
    /// so any byte left over (in this read or a later one of the same batch) fails the exchange: a body on a 204
    /// or on a HEAD response, body bytes past the `Content-Length`, a second response.
    ///
    /// A protocol error withdraws the parts of the current read that were not delivered yet: the response's
    /// framing is in doubt, so its head, when it came in the same read, never reaches the handler (the client gets
    /// a clean 502 rather than a cut), and a `Content-Length` body is never handed on whole before its failure.
    private func parseInbound() {
        while let exchange = self.exchange, !exchange.terminalQueued, self.inbound != nil {
            let part: ResponseParser.Part?
            do {
                part = try self.parser.next(from: &self.inbound!)
            } catch {
                self.inbound = nil
                let undelivered = min(self.queuedThisRead, self.events.count)
                self.events.removeLast(undelivered)
                self.enqueue(.failure(self.parseFailure(error)))
                return
            }
            guard let part else { break }
            switch part {
            case .informational(let head):
                self.enqueue(.informational(head))
                self.queuedThisRead += 1
            case .head(let head):
                self.exchange?.finalHead = head
                self.enqueue(.head(head))
                self.queuedThisRead += 1
            case .body(let buffer):
                self.enqueue(.body(buffer))
                self.queuedThisRead += 1
            case .end:
                // Queued when the read completes (`channelReadComplete`), once no more bytes came with it.
                self.exchange?.endParsed = true
            }
        }
        if let inbound = self.inbound {
            if inbound.readableBytes == 0 {
                self.inbound = nil
            } else if inbound.readerIndex > 4096, inbound.readerIndex > inbound.readableBytes {
                self.inbound!.discardReadBytes()
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.readIssued = false
        self.queuedThisRead = 0
        if let exchange = self.exchange, exchange.endParsed, !exchange.terminalQueued {
            self.enqueue(.end)
        }
        self.pump()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isOpen = false
        self.queuedThisRead = 0
        self.cancelReadTimer()
        if self.isPooled {
            self.leavePool()
            self.pool?.remove(self)
        }
        self.idleTimer?.cancel()
        self.idleTimer = nil
        if let exchange = self.exchange, !exchange.terminalQueued {
            if exchange.endParsed {
                // The response was complete; the close came after it.
                self.enqueue(.end)
            } else {
                do {
                    // A body delimited by the close ends here (RFC 9112 §6.3 rule 8); anything else was cut short.
                    if try self.parser.finish() == .end {
                        self.enqueue(.end)
                    } else {
                        self.enqueue(.failure(.eof(responseStarted: exchange.responseStarted, reusedConnection: exchange.reusedConnection)))
                    }
                } catch {
                    self.enqueue(.failure(self.parseFailure(error)))
                }
            }
        }
        self.inbound = nil
        self.pump()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case NIOSSLError.uncleanShutdown = error {
            // The upstream closed TCP without close_notify. The inactive event that follows decides:
            // a close-delimited body ends there (as most clients accept), anything else is `closedEarly`.
            return
        }
        if let exchange = self.exchange, !exchange.terminalQueued {
            if exchange.endParsed {
                // A reset right after a complete response (the upstream closed with our bytes unread): the response
                // stands; the connection is closed below, so it is not reused.
                self.enqueue(.end)
            } else {
                let failure = UpstreamError(
                    inFlight: error,
                    responseStarted: exchange.responseStarted,
                    reusedConnection: exchange.reusedConnection
                )
                self.enqueue(.failure(failure))
            }
        }
        self.close()
        self.pump()
    }

    /// The error a parser refusal becomes: a cut-short response is `closedEarly` (or `unreachable` when nothing
    /// came), anything else `protocolError`.
    private func parseFailure(_ error: any Error) -> UpstreamError {
        let exchange = self.exchange
        return UpstreamError(
            parsing: error as? ResponseParseError ?? ResponseParseError.malformed("unreadable response"),
            responseStarted: exchange?.responseStarted ?? false,
            reusedConnection: exchange?.reusedConnection ?? false
        )
    }

    // MARK: Queue and pump

    func makeError(_ kind: UpstreamError.Kind, _ detail: String) -> UpstreamError {
        UpstreamError(kind, detail: detail, reusedConnection: self.exchange?.reusedConnection ?? false)
    }

    /// Queues an event of the current exchange; a terminal one stops reading, and a failure also closes
    /// the connection at once (it is unusable), while the queued parts before it are still delivered.
    func enqueue(_ event: ResponseEvent) {
        guard self.exchange != nil else { return }
        self.events.append(event)
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
        while let exchange = self.exchange, !exchange.paused, !self.events.isEmpty {
            let event = self.events.removeFirst()
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
                self.events.removeAll(keepingCapacity: true)
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
    /// the end, so a request the handler starts from `upstreamEnd` can reuse it. A body delimited by the close
    /// ends only once the connection is closed, so it never comes back here open.
    private func finishExchange(_ exchange: Exchange) {
        self.exchange = nil
        self.events.removeAll(keepingCapacity: true)
        let reusable =
            self.isOpen && !self.isClosing && self.parser.isIdle && exchange.requestKeepAlive && exchange.requestEndWritten
            && exchange.finalHead?.isKeepAlive ?? false
        if !(reusable && (self.pool?.park(self) ?? false)) {
            self.close()
        }
        exchange.call.deliverEnd()
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

    /// Times the wait for upstream bytes. The timer of an earlier wait may still be scheduled (disarming leaves it,
    /// see `disarmReadTimer`): then it is only stamped, and moved forward when it fires.
    private func armReadTimer() {
        if !self.readTimed {
            self.readTimed = true
            self.lastProgress = .now()
        }
        if self.readTimer == nil {
            self.scheduleReadTimer(deadline: self.lastProgress + self.readTimeout)
        }
    }

    /// Stops timing the wait. The scheduled timer is left to fire and find nothing to time: a keep-alive
    /// connection's next exchange then arms it without scheduling a task (issue 18: scheduling and cancelling one per
    /// exchange showed in a miss's profile).
    func disarmReadTimer() {
        self.readTimed = false
    }

    /// Cancels the timer itself (closing).
    func cancelReadTimer() {
        self.readTimed = false
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
        guard self.readTimed, let exchange = self.exchange, !exchange.paused, !exchange.terminalQueued, self.isOpen, !self.isClosing else {
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
