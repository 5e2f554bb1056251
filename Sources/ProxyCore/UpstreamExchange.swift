import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The AsyncHTTPClient delegate of one forwarded request. It only relays events to the connection's
/// `ProxyHandler`; every callback runs on the client channel's event loop (`.delegate(on:)`).
///
/// `@unchecked Sendable`: AsyncHTTPClient requires `Sendable`, but the instance is created, called and released on
/// one event loop only, which `preconditionInEventLoop` checks in debug builds.
final class UpstreamExchange: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Void

    private weak var handler: ProxyHandler?
    let eventLoop: EventLoop
    let id: Int
    var task: HTTPClient.Task<Void>?
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
        self.bodyStreamer?.fail(CancellationError())
        self.task?.cancel()
    }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        guard !self.isFinished, let handler = self.handler else { return self.eventLoop.makeSucceededVoidFuture() }
        return handler.upstreamHead(head, exchange: self) ?? self.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard !self.isFinished, let handler = self.handler else { return self.eventLoop.makeSucceededVoidFuture() }
        return handler.upstreamBody(buffer, exchange: self)
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        guard !self.isFinished else { return }
        self.isFinished = true
        self.handler?.upstreamEnd(exchange: self)
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: Error) {
        guard !self.isFinished else { return }
        self.isFinished = true
        self.bodyStreamer?.fail(error)
        self.handler?.upstreamFailed(error, exchange: self)
    }
}
