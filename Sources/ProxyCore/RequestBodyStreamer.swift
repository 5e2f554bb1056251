import NIOCore
import UpstreamHTTP

/// Carries a client's request body to the upstream as it arrives, with backpressure: when too many bytes are
/// written but not yet sent, the client connection stops reading until the upstream catches up.
///
/// Confined to the client channel's event loop (the upstream call runs on the same loop). Parts that arrive
/// before the call exists (a body-keyed request is read whole before it is forwarded) wait here.
final class RequestBodyStreamer {
    private let eventLoop: EventLoop
    private var call: UpstreamCall?
    private var waiting: [ByteBuffer] = []
    private var ended = false
    private var failed = false
    private var pendingBytes = 0
    /// Called with true to pause reading from the client, false to resume.
    var onBackpressure: ((Bool) -> Void)?
    private var paused = false

    static let highWater = 256 * 1024
    static let lowWater = 64 * 1024
    /// Bytes sent between two completion markers (at most `lowWater`).
    static let markEvery = 32 * 1024
    /// Bytes sent since the last marker.
    private var unconfirmed = 0

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The upstream call that takes the body: what arrived meanwhile is written at once.
    func attach(_ call: UpstreamCall) {
        self.eventLoop.preconditionInEventLoop()
        guard !self.failed else { return }
        self.call = call
        let waiting = self.waiting
        self.waiting = []
        for buffer in waiting { self.send(buffer, to: call) }
        if self.ended { call.end() }
    }

    func append(_ buffer: ByteBuffer) {
        guard !self.failed else { return }
        self.pendingBytes += buffer.readableBytes
        if let call = self.call {
            self.send(buffer, to: call)
        } else {
            self.waiting.append(buffer)
        }
        self.updateBackpressure()
    }

    func end() {
        guard !self.ended, !self.failed else { return }
        self.ended = true
        self.call?.end()
    }

    /// The client went away or broke a limit: nothing more is sent (the exchange cancels the call, so the
    /// upstream never sees a complete request with a partial body).
    func fail() {
        self.failed = true
        self.waiting = []
        self.setPaused(false)
    }

    /// Parts go without a promise each; every `markEvery` bytes one `sent()` marker follows them, and its
    /// completion takes those bytes off `pendingBytes`. A body under `markEvery` (most) makes no future at all,
    /// and the bytes never confirmed stay below `lowWater`, so a paused client is always resumed.
    private func send(_ buffer: ByteBuffer, to call: UpstreamCall) {
        call.send(buffer)
        self.unconfirmed += buffer.readableBytes
        guard self.unconfirmed >= Self.markEvery else { return }
        let bytes = self.unconfirmed
        self.unconfirmed = 0
        call.sent().whenComplete { _ in
            self.pendingBytes -= bytes
            self.updateBackpressure()
        }
    }

    private func updateBackpressure() {
        if self.pendingBytes > Self.highWater {
            self.setPaused(true)
        } else if self.pendingBytes < Self.lowWater {
            self.setPaused(false)
        }
    }

    private func setPaused(_ paused: Bool) {
        guard self.paused != paused else { return }
        self.paused = paused
        self.onBackpressure?(paused)
    }
}
