import NIOCore
import NIOHTTP1
import UpstreamHTTP

/// What a ``RecordingHandler`` saw of one call.
struct Recorded: Sendable {
    var informational: [HTTPResponseHead] = []
    var head: HTTPResponseHead?
    var body: [UInt8] = []
    var parts = 0
    /// Callbacks in order: "1xx 103", "head 200", "body", "end", "failed".
    var order: [String] = []
    var error: UpstreamError?
    /// Callbacks that did not run on the call's event loop (must stay 0).
    var offLoopCallbacks = 0
    /// Callbacks after the terminal one (must stay 0).
    var lateCallbacks = 0

    var text: String {
        String(decoding: self.body, as: UTF8.self)
    }

    var status: Int? {
        self.head.map { Int($0.status.code) }
    }
}

/// A response handler that records every callback, with optional hooks for the head and body
/// futures. `done` completes with the record at the terminal callback (also on failure).
final class RecordingHandler: UpstreamResponseHandler {
    let eventLoop: EventLoop
    let done: EventLoopPromise<Recorded>
    var recorded = Recorded()
    var call: UpstreamCall?
    var onHead: ((HTTPResponseHead) -> EventLoopFuture<Void>?)?
    var onBody: ((ByteBuffer, RecordingHandler) -> EventLoopFuture<Void>)?
    var onEnd: (() -> Void)?
    private var finished = false

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        self.done = eventLoop.makePromise(of: Recorded.self)
    }

    /// A cancelled call never reaches a terminal callback; its record is settled here instead.
    deinit {
        if !self.finished {
            self.done.fail(NoTerminalCallback())
        }
    }

    private func note(_ event: String) {
        if !self.eventLoop.inEventLoop {
            self.recorded.offLoopCallbacks += 1
        }
        if self.finished {
            self.recorded.lateCallbacks += 1
        }
        self.recorded.order.append(event)
    }

    func upstreamInformational(_ head: HTTPResponseHead) {
        self.note("1xx \(head.status.code)")
        self.recorded.informational.append(head)
    }

    func upstreamHead(_ head: HTTPResponseHead) -> EventLoopFuture<Void>? {
        self.note("head \(head.status.code)")
        self.recorded.head = head
        return self.onHead?(head)
    }

    func upstreamBodyPart(_ buffer: ByteBuffer) -> EventLoopFuture<Void>? {
        self.note("body")
        self.recorded.parts += 1
        self.recorded.body.append(contentsOf: buffer.readableBytesView)
        return self.onBody?(buffer, self) ?? self.eventLoop.makeSucceededVoidFuture()
    }

    func upstreamEnd() {
        self.note("end")
        self.finished = true
        self.done.succeed(self.recorded)
        self.onEnd?()
    }

    func upstreamFailed(_ error: UpstreamError) {
        self.note("failed")
        self.finished = true
        self.recorded.error = error
        self.done.succeed(self.recorded)
    }
}

/// The handler went away without a terminal callback (its call was cancelled).
struct NoTerminalCallback: Error {}

/// A started call: its handler (reachable on its loop) and the record at its end.
struct StartedCall: Sendable {
    let handler: NIOLoopBound<RecordingHandler>
    let done: EventLoopFuture<Recorded>

    /// The record so far, read on the handler's loop.
    func snapshot() async throws -> Recorded {
        let handler = self.handler
        return try await handler.eventLoop.submit { handler.value.recorded }.get()
    }
}

extension UpstreamClient {
    /// Executes `head` on `loop` with a fresh ``RecordingHandler``; `setup` runs on the loop right after
    /// `execute` returns (to install hooks, or write the request body).
    func start(
        _ head: HTTPRequestHead,
        body: UpstreamRequestBody = .none,
        on loop: EventLoop,
        setup: @escaping @Sendable (RecordingHandler, UpstreamCall) -> Void = { _, _ in }
    ) async throws -> StartedCall {
        try await loop.submit {
            let handler = RecordingHandler(eventLoop: loop)
            let call = self.execute(head, body: body, on: loop, handler: handler)
            handler.call = call
            setup(handler, call)
            return StartedCall(handler: NIOLoopBound(handler, eventLoop: loop), done: handler.done.futureResult)
        }.get()
    }

    /// Executes `head` and waits for the end of the call.
    func run(
        _ head: HTTPRequestHead,
        body: UpstreamRequestBody = .none,
        on loop: EventLoop,
        setup: @escaping @Sendable (RecordingHandler, UpstreamCall) -> Void = { _, _ in }
    ) async throws -> Recorded {
        try await self.start(head, body: body, on: loop, setup: setup).done.get()
    }
}

/// A request head with the given method and target.
func request(_ method: HTTPMethod, _ target: String, headers: [(String, String)] = []) -> HTTPRequestHead {
    HTTPRequestHead(version: .http1_1, method: method, uri: target, headers: HTTPHeaders(headers))
}

/// A GET request head for `target`.
func request(_ target: String, headers: [(String, String)] = []) -> HTTPRequestHead {
    request(.GET, target, headers: headers)
}
