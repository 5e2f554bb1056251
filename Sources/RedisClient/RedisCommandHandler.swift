import NIOCore
import RESP

/// The channel handler under both connection kinds: it writes commands, decodes the replies (`RESPDecoder`), matches
/// each reply to the oldest command waiting (Redis answers in order), enforces the command timeout, and passes values
/// that answer no command (pub/sub pushes) to ``pushHandler``.
///
/// It decodes the bytes itself rather than behind a `ByteToMessageHandler`: a reply then goes from the read buffer to
/// its command's promise with no trip through the pipeline and no `NIOAny` box and cast (issue 18: an L2 hit's
/// profile showed both).
///
/// Confinement: it lives in one channel's pipeline; every method and property must be used on
/// that channel's event loop.
final class RedisCommandHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct PendingCommand {
        let promise: EventLoopPromise<RESPValue>
        let deadline: NIODeadline
    }

    private let eventLoop: EventLoop
    private let commandTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var pending = CircularBuffer<PendingCommand>()
    /// One timer for the oldest pending command; it re-arms itself for the next one, so there is
    /// never more than one scheduled task however deep the pipeline.
    private var timeoutTask: Scheduled<Void>?
    /// Whether a flush is queued on the event loop (`scheduleFlush`).
    private var flushScheduled = false
    /// The commands written in this pass of the event loop, sent as one buffer by the flush (`scheduleFlush`):
    /// one write through the channel's pipeline per pass, not one per command.
    private var pendingOutput: ByteBuffer?
    private var decoder = RESPDecoder()
    /// Bytes read that do not make a whole reply yet.
    private var unparsed: ByteBuffer?

    /// Receives every value that answers no command. Throwing closes the connection, with the
    /// error as the reason. Without a push handler such a value is a protocol error.
    var pushHandler: ((RESPValue) throws -> Void)?

    /// Why this handler closed the channel, when it made that decision (timeout, bad input).
    private(set) var closeReason: String?

    /// Creates a handler for a channel on `eventLoop`.
    init(eventLoop: EventLoop, commandTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.commandTimeout = commandTimeout
    }

    /// Writes `commands` in one buffer, flushed with the other commands of this pass of the event loop
    /// (`scheduleFlush`). The futures answer them in order; they fail with ``RedisClientError`` only on timeout or
    /// transport trouble.
    func send(_ commands: [[ByteBuffer]]) -> [EventLoopFuture<RESPValue>] {
        commands.map { self.send($0) }
    }

    /// `send(_:)` for one command, with no arrays of its own (an L2 read sends one).
    func send(_ command: [ByteBuffer]) -> EventLoopFuture<RESPValue> {
        guard let context, self.closeReason == nil, context.channel.isActive else {
            return self.eventLoop.makeFailedFuture(RedisClientError.connectionClosed)
        }
        let promise = self.eventLoop.makePromise(of: RESPValue.self)
        self.pending.append(PendingCommand(promise: promise, deadline: NIODeadline.now() + self.commandTimeout))
        self.gather(command, context: context)
        self.scheduleFlush()
        self.armTimeout()
        return promise.futureResult
    }

    private func gather(_ command: [ByteBuffer], context: ChannelHandlerContext) {
        if self.pendingOutput == nil { self.pendingOutput = context.channel.allocator.buffer(capacity: 512) }
        self.pendingOutput!.writeRESPCommand(command)
    }

    /// Flushes once the event loop has handled what is ready now (automatic pipelining): the commands that the
    /// requests read in one pass of the loop send go to Redis in one write, not one write each. A command waits no
    /// longer than the rest of that pass.
    private func scheduleFlush() {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.eventLoop.execute {
            let handler = bound.value
            handler.flushScheduled = false
            handler.writeOutput()
        }
    }

    /// Writes and flushes the commands gathered so far.
    private func writeOutput() {
        guard let context = self.context, let output = self.pendingOutput else { return }
        self.pendingOutput = nil
        context.writeAndFlush(self.wrapOutboundOut(output), promise: nil)
    }

    /// Writes a command whose replies are not matched to it but go to ``pushHandler``
    /// (`SUBSCRIBE`, whose confirmations arrive as pushes). Commands gathered before it go first.
    func sendExpectingPushes(_ command: [ByteBuffer]) {
        guard let context, self.closeReason == nil else {
            return
        }
        self.gather(command, context: context)
        self.writeOutput()
    }

    // MARK: ChannelInboundHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.failAll(.connectionClosed)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(.connectionClosed)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        if var earlier = self.unparsed.take() {
            // Keep only what is left of the earlier read before adding to it.
            if earlier.readerIndex > 0 { earlier.discardReadBytes() }
            earlier.writeBuffer(&buffer)
            buffer = earlier
        }
        do {
            while self.closeReason == nil, let value = try self.decoder.decode(buffer: &buffer) {
                self.received(value)
            }
        } catch {
            self.close(reason: "\(error)", failing: .protocolError("\(error)"))
            return
        }
        if buffer.readableBytes > 0, self.closeReason == nil { self.unparsed = buffer }
    }

    private func received(_ value: RESPValue) {
        if let command = self.pending.popFirst() {
            command.promise.succeed(value)
            return
        }
        guard let pushHandler else {
            self.close(reason: "a reply arrived with no command waiting", failing: .protocolError("unexpected reply"))
            return
        }
        do {
            try pushHandler(value)
        } catch {
            self.close(reason: "\(error)", failing: .connectionClosed)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Bytes that are not RESP put the stream out of step; anything else is the socket's trouble.
        let failure: RedisClientError
        if error is RESPError || error is ByteToMessageDecoderError {
            failure = .protocolError("\(error)")
        } else {
            failure = .connectionClosed
        }
        self.close(reason: "\(error)", failing: failure)
    }

    // MARK: Timeouts and closing

    private func armTimeout() {
        guard self.timeoutTask == nil, let oldest = self.pending.first else {
            return
        }
        self.timeoutTask = self.eventLoop.assumeIsolated().scheduleTask(deadline: oldest.deadline) {
            self.timeoutTask = nil
            self.checkTimeout()
        }
    }

    private func checkTimeout() {
        guard let oldest = self.pending.first else {
            return
        }
        guard oldest.deadline <= .now() else {
            self.armTimeout()
            return
        }
        // The late reply may still come and would answer the wrong command: give up on the stream.
        self.pending.removeFirst()
        let milliseconds = self.commandTimeout.nanoseconds / 1_000_000
        self.close(reason: "command timed out after \(milliseconds) ms", failing: .connectionClosed)
        oldest.promise.fail(RedisClientError.timeout)
    }

    /// Closes the channel (once), failing every waiting command with `failure`.
    private func close(reason: String, failing failure: RedisClientError) {
        if self.closeReason == nil {
            self.closeReason = reason
        }
        self.failAll(failure)
        self.context?.close(promise: nil)
    }

    private func failAll(_ error: RedisClientError) {
        self.timeoutTask?.cancel()
        self.timeoutTask = nil
        self.pendingOutput = nil
        while let command = self.pending.popFirst() {
            command.promise.fail(error)
        }
    }
}
