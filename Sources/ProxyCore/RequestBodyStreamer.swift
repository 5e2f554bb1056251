import AsyncHTTPClient
import NIOCore

/// Carries a client's request body to the upstream as it arrives, with backpressure: when too many bytes are
/// written but not yet sent, the client connection stops reading until the upstream catches up.
///
/// Confined to the client channel's event loop (the upstream request runs on the same loop).
final class RequestBodyStreamer {
    private let eventLoop: EventLoop
    private var writer: HTTPClient.Body.StreamWriter?
    private var waiting: [ByteBuffer] = []
    private var ended = false
    private var failed: Error?
    private var completion: EventLoopPromise<Void>?
    private var pendingBytes = 0
    private var pendingWrites = 0
    /// Called with true to pause reading from the client, false to resume.
    var onBackpressure: ((Bool) -> Void)?
    private var paused = false

    static let highWater = 256 * 1024
    static let lowWater = 64 * 1024

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Called by AsyncHTTPClient when it is ready for the body; the future completes when all of it was sent.
    func attach(_ writer: HTTPClient.Body.StreamWriter) -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        let promise = self.eventLoop.makePromise(of: Void.self)
        if let failed = self.failed {
            promise.fail(failed)
            return promise.futureResult
        }
        self.writer = writer
        self.completion = promise
        let waiting = self.waiting
        self.waiting = []
        for buffer in waiting { self.send(buffer) }
        self.completeIfDone()
        return promise.futureResult
    }

    func append(_ buffer: ByteBuffer) {
        self.pendingBytes += buffer.readableBytes
        if self.writer == nil {
            self.waiting.append(buffer)
        } else {
            self.send(buffer)
        }
        self.updateBackpressure()
    }

    func end() {
        self.ended = true
        self.completeIfDone()
    }

    /// The client went away or broke a limit: the upstream request must not complete with a partial body.
    func fail(_ error: Error) {
        self.failed = error
        self.waiting = []
        self.completion?.fail(error)
        self.completion = nil
        self.setPaused(false)
    }

    private func send(_ buffer: ByteBuffer) {
        guard let writer = self.writer else { return }
        self.pendingWrites += 1
        let size = buffer.readableBytes
        writer.write(.byteBuffer(buffer)).hop(to: self.eventLoop).whenComplete { result in
            self.pendingWrites -= 1
            self.pendingBytes -= size
            if case .failure(let error) = result { self.fail(error) }
            self.updateBackpressure()
            self.completeIfDone()
        }
    }

    private func completeIfDone() {
        guard self.ended, self.pendingWrites == 0, self.waiting.isEmpty, let completion = self.completion else { return }
        self.completion = nil
        completion.succeed(())
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
