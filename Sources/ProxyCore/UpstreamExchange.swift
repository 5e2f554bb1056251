import NIOCore
import NIOHTTP1
import UpstreamHTTP

/// The response handler of one forwarded request. It only relays events to the connection's `ProxyHandler`;
/// the upstream call runs on the client connection's event loop, so every callback arrives there.
final class UpstreamExchange: UpstreamResponseHandler {
    private weak var handler: ProxyHandler?
    let eventLoop: EventLoop
    let id: Int
    var call: UpstreamCall?
    let bodyStreamer: RequestBodyStreamer?
    private(set) var isFinished = false
    /// Keeps the handler alive while the exchange finishes without a client (finish_on_client_abort); cleared
    /// when it ends, which breaks the reference cycle.
    var owner: ProxyHandler?

    init(handler: ProxyHandler, eventLoop: EventLoop, id: Int, streamsBody: Bool) {
        self.handler = handler
        self.eventLoop = eventLoop
        self.id = id
        self.bodyStreamer = streamsBody ? RequestBodyStreamer(eventLoop: eventLoop) : nil
    }

    func cancel() {
        guard !self.isFinished else { return }
        self.isFinished = true
        self.bodyStreamer?.fail()
        self.call?.cancel()
        self.call = nil
    }

    func upstreamInformational(_ head: HTTPResponseHead) {
        guard !self.isFinished else { return }
        self.handler?.upstreamInformational(head, exchange: self)
    }

    func upstreamHead(_ head: HTTPResponseHead) -> EventLoopFuture<Void>? {
        self.eventLoop.preconditionInEventLoop()
        guard !self.isFinished, let handler = self.handler else { return nil }
        return handler.upstreamHead(head, exchange: self)
    }

    func upstreamBodyPart(_ buffer: ByteBuffer) -> EventLoopFuture<Void>? {
        guard !self.isFinished, let handler = self.handler else { return nil }
        return handler.upstreamBody(buffer, exchange: self)
    }

    func upstreamEnd() {
        guard !self.isFinished else { return }
        self.isFinished = true
        self.call = nil
        // A response that came before the upload ended (the upstream rejected it early): the rest of the client's
        // body is read and dropped, not written to a call that has ended.
        self.bodyStreamer?.fail()
        self.handler?.upstreamEnd(exchange: self)
    }

    func upstreamFailed(_ error: UpstreamError) {
        guard !self.isFinished else { return }
        self.isFinished = true
        self.call = nil
        self.bodyStreamer?.fail()
        self.handler?.upstreamFailed(error, exchange: self)
    }
}
