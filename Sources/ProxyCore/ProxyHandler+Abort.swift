import NIOCore
import NIOPosix

/// Ending a client connection whose response cannot be completed, without losing what it was sent, and accounting
/// for every request that did not end normally.
extension ProxyHandler {
    /// How long a cut connection may take to flush what was written to it before it is closed anyway (a client that
    /// stopped reading must not hold the connection open).
    static let cutFlushDeadline = TimeAmount.seconds(10)

    /// Closes the connection once everything written so far has reached the socket. A plain close would drop the
    /// writes still pending (the head and the body parts of the current tick, flushed at its end), and clients
    /// would often see nothing at all. A body whose end is the close itself (an HTTP/1.0 client without a
    /// `Content-Length`) would look complete after a FIN, so that connection is reset instead (RST).
    func cutAfterFlush() {
        guard !self.cutting else { return }
        self.cutting = true
        guard let context = self.context, context.channel.isActive else {
            self.context?.close(promise: nil)
            return
        }
        let channel = context.channel
        let reset = self.framing == .closeDelimited
        self.framing = .none
        let deadline = context.eventLoop.scheduleTask(in: Self.cutFlushDeadline) { channel.close(promise: nil) }
        context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(ByteBuffer()))).whenComplete { _ in
            deadline.cancel()
            guard reset else { return channel.close(promise: nil) }
            let lingerSet = (channel as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                ?? channel.eventLoop.makeSucceededVoidFuture()
            lingerSet.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Marks the request being answered, if its record is still open, as aborted: `detail` is `client-closed` (the
    /// client left first), `upstream-error` (the upstream failed after the head), `body-too-large` (the request
    /// body passed `max_request_body` after the response began). The record keeps the status sent (0 when none)
    /// and the body bytes written.
    func markAborted(detail: String) {
        guard self.recording else { return }
        self.record.outcome = .aborted
        self.record.detail = detail
    }

    /// Marks the open record aborted and hands it to the observers (nothing when the response had ended).
    func emitAbortedRecord(detail: String) {
        guard self.recording else { return }
        self.markAborted(detail: detail)
        self.emitRecord()
    }
}
