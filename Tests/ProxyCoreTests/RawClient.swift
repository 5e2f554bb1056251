import NIOCore
import NIOPosix

/// Sends raw bytes on a fresh connection and returns everything the server wrote until it closed the
/// connection (or until `timeout`), plus whether the server closed it.
enum RawClient {
    static func exchange(port: Int, bytes: String, timeout: TimeAmount = .seconds(5)) async throws -> (text: String, closed: Bool) {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.pipeline.addHandler(collector) }
            .connect(host: "127.0.0.1", port: port).get()
        // The server may close first (a deadline that passed, a refused connection): what it wrote still counts.
        try? await channel.writeAndFlush(ByteBuffer(string: bytes))
        let closed: Bool
        do {
            try await collector.closed.futureResult.flatMapError { _ in channel.eventLoop.makeSucceededVoidFuture() }
                .timeout(after: timeout, on: channel.eventLoop).get()
            closed = true
        } catch {
            closed = false
            try? await channel.close()
        }
        return (try await channel.eventLoop.submit { collector.text }.get(), closed)
    }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var text = ""
        var closed: EventLoopPromise<Void>!

        func handlerAdded(context: ChannelHandlerContext) {
            self.closed = context.eventLoop.makePromise()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.text += String(buffer: self.unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.closed.succeed(())
        }
    }
}

extension EventLoopFuture {
    func timeout(after amount: TimeAmount, on eventLoop: EventLoop) -> EventLoopFuture<Value> {
        let promise = eventLoop.makePromise(of: Value.self)
        let task = eventLoop.scheduleTask(in: amount) { promise.fail(ChannelError.operationUnsupported) }
        self.whenComplete { result in
            task.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }
}

extension RawClient {
    /// Sends `bytes`, reads until at least `readBytes` arrived, then closes the connection (a client that gives up
    /// mid-response). Returns how many bytes were read.
    static func abandon(port: Int, bytes: String, after readBytes: Int, timeout: TimeAmount = .seconds(10)) async throws -> Int {
        let reader = PartialReader(limit: readBytes)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.pipeline.addHandler(reader) }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: bytes))
        try await reader.reached.futureResult.timeout(after: timeout, on: channel.eventLoop).get()
        try? await channel.close()
        return try await channel.eventLoop.submit { reader.count }.get()
    }

    private final class PartialReader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let limit: Int
        var count = 0
        var reached: EventLoopPromise<Void>!

        init(limit: Int) { self.limit = limit }

        func handlerAdded(context: ChannelHandlerContext) {
            self.reached = context.eventLoop.makePromise()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard self.count < self.limit else { return }
            self.count += self.unwrapInboundIn(data).readableBytes
            if self.count >= self.limit {
                // Leave at once, on the connection's own loop: however slow the test task is to resume, the client
                // has gone by the time the next part arrives.
                self.reached.succeed(())
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.reached.fail(ChannelError.eof)
        }
    }
}
