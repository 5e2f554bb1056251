import NIOCore
import NIOHTTP1

/// The handle of one request: the caller streams the request body through it and may cancel it.
///
/// Loop-confined: every method must be called on the event loop the call was executed on, which is
/// also where its connection lives and where the handler is called. The call keeps its handler only
/// until the terminal callback or the cancel, which breaks the handler ↔ call reference cycle.
public final class UpstreamCall {
    private enum State {
        /// No connection yet: body parts and the end are buffered until it exists. An array, not a `CircularBuffer`:
        /// an empty one allocates nothing, and a call that finds an idle connection never buffers.
        case connecting(pending: [PendingPart], endRequested: Bool)
        /// The request runs on this connection.
        case attached(UpstreamConnection)
        /// The terminal callback was delivered (`nil` for a clean end).
        case finished(UpstreamError?)
        /// The caller cancelled; nothing more is delivered.
        case cancelled
    }

    private struct PendingPart {
        var buffer: ByteBuffer
        var promise: EventLoopPromise<Void>?
    }

    let eventLoop: EventLoop
    let head: HTTPRequestHead
    let body: UpstreamRequestBody
    private var handler: UpstreamResponseHandler?
    private var state: State = .connecting(pending: [], endRequested: false)

    init(head: HTTPRequestHead, body: UpstreamRequestBody, eventLoop: EventLoop, handler: UpstreamResponseHandler) {
        self.head = head
        self.body = body
        self.eventLoop = eventLoop
        self.handler = handler
    }

    // MARK: Caller side

    /// Sends a request body part. Before the connection exists the part is buffered; the future
    /// completes once the bytes are written to the socket, and fails once the call has ended.
    public func write(_ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        guard self.body == .streamed else {
            return self.eventLoop.makeFailedFuture(UpstreamError(.protocolError, detail: "write on a call without a streamed body"))
        }
        switch self.state {
        case .connecting(var pending, let endRequested):
            guard !endRequested else {
                return self.eventLoop.makeFailedFuture(UpstreamError(.protocolError, detail: "write after end"))
            }
            let promise = self.eventLoop.makePromise(of: Void.self)
            pending.append(PendingPart(buffer: buffer, promise: promise))
            self.state = .connecting(pending: pending, endRequested: false)
            return promise.futureResult
        case .attached(let connection):
            let promise = self.eventLoop.makePromise(of: Void.self)
            connection.writeBodyPart(buffer, promise: promise, flush: true)
            return promise.futureResult
        case .finished(let error):
            return self.eventLoop.makeFailedFuture(error ?? UpstreamError(.cancelled, detail: "the response has ended"))
        case .cancelled:
            return self.eventLoop.makeFailedFuture(UpstreamError(.cancelled))
        }
    }

    /// Sends a body part without a completion of its own (no promise per part): a caller that needs to know when
    /// the bytes left asks ``sent()``. Buffered before the connection exists; dropped once the call has ended.
    public func send(_ buffer: ByteBuffer) {
        self.eventLoop.preconditionInEventLoop()
        guard self.body == .streamed else { return }
        switch self.state {
        case .connecting(var pending, let endRequested):
            guard !endRequested else { return }
            pending.append(PendingPart(buffer: buffer, promise: nil))
            self.state = .connecting(pending: pending, endRequested: false)
        case .attached(let connection):
            connection.writeBodyPart(buffer, promise: nil, flush: true)
        case .finished, .cancelled:
            break
        }
    }

    /// Completes once every body part sent or written so far has been written to the socket (an empty write queued
    /// behind them: writes complete in order); fails once the call has ended.
    public func sent() -> EventLoopFuture<Void> {
        self.write(ByteBuffer())
    }

    /// Marks the request body complete. Ignored for a bodiless call, a repeated end, or after the call ended.
    public func end() {
        self.eventLoop.preconditionInEventLoop()
        guard self.body == .streamed else {
            return
        }
        switch self.state {
        case .connecting(let pending, _):
            self.state = .connecting(pending: pending, endRequested: true)
        case .attached(let connection):
            connection.writeRequestEnd()
        case .finished, .cancelled:
            break
        }
    }

    /// The client went away: the upstream connection is closed (never reused, since the upstream may
    /// still be sending) and no handler method is called any more.
    public func cancel() {
        self.eventLoop.preconditionInEventLoop()
        switch self.state {
        case .connecting(let pending, _):
            self.state = .cancelled
            self.handler = nil
            for part in pending {
                part.promise?.fail(UpstreamError(.cancelled))
            }
        case .attached(let connection):
            self.state = .cancelled
            self.handler = nil
            connection.cancel(self)
        case .finished, .cancelled:
            break
        }
    }

    // MARK: Client side

    var isCancelled: Bool {
        if case .cancelled = self.state {
            return true
        }
        return false
    }

    /// Starts the request on `connection` and flushes what the caller wrote meanwhile.
    func attach(_ connection: UpstreamConnection) {
        guard case .connecting(let pending, let endRequested) = self.state else {
            preconditionFailure("attach in state \(self.state)")
        }
        guard connection.isUsable else {
            // Closed between its connect and now. Reported on the next tick: `execute` never calls back
            // before it returns.
            let error = UpstreamError(.unreachable, detail: "connection closed before the request was sent")
            self.eventLoop.assumeIsolated().execute {
                self.connectFailed(error)
            }
            return
        }
        self.state = .attached(connection)
        connection.begin(self)
        for part in pending {
            connection.writeBodyPart(part.buffer, promise: part.promise, flush: false)
        }
        if endRequested {
            connection.writeRequestEnd()
        } else if !pending.isEmpty {
            connection.flush()
        }
    }

    /// The connection could not be had; ends the call unless it was cancelled.
    func connectFailed(_ error: UpstreamError) {
        guard case .connecting(let pending, _) = self.state else {
            return
        }
        for part in pending {
            part.promise?.fail(error)
        }
        self.deliverFailure(error)
    }

    // MARK: Delivery (from the connection)

    func deliverInformational(_ head: HTTPResponseHead) {
        self.handler?.upstreamInformational(head)
    }

    func deliverHead(_ head: HTTPResponseHead) -> EventLoopFuture<Void>? {
        self.handler?.upstreamHead(head)
    }

    func deliverBodyPart(_ buffer: ByteBuffer) -> EventLoopFuture<Void>? {
        self.handler?.upstreamBodyPart(buffer)
    }

    func deliverEnd() {
        guard let handler = self.finish(with: nil) else {
            return
        }
        handler.upstreamEnd()
    }

    func deliverFailure(_ error: UpstreamError) {
        guard let handler = self.finish(with: error) else {
            return
        }
        handler.upstreamFailed(error)
    }

    /// Moves to `.finished` and hands out the handler for the one terminal callback.
    private func finish(with error: UpstreamError?) -> UpstreamResponseHandler? {
        switch self.state {
        case .connecting, .attached:
            self.state = .finished(error)
            let handler = self.handler
            self.handler = nil
            return handler
        case .finished, .cancelled:
            return nil
        }
    }
}

@available(*, unavailable)
extension UpstreamCall: Sendable {}
