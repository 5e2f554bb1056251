import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import UpstreamHTTP

@testable import ProxyCore

/// A request body streamed to an upstream that does not read: the streamer pauses the client once more than
/// `highWater` bytes wait unsent, and resumes it once the upstream reads; every byte arrives. Body parts carry no
/// promise each; completion markers every `markEvery` bytes do the counting (`RequestBodyStreamer`).
@Suite struct UploadBackpressureTests {
    /// Accepts one connection (with a small receive buffer) and reads nothing until `startReading()`; then counts
    /// the bytes it reads and fulfils `received` once `expecting` of them came.
    final class StalledUpstream: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var channel: Channel!
        private let accepted = NIOLockedValueBox<Channel?>(nil)
        private var count = 0
        private var expecting = Int.max
        private var received: EventLoopPromise<Void>?
        /// Completes when the connection is accepted.
        let connected: EventLoopPromise<Void>

        init(group: EventLoopGroup) async throws {
            let accepted = self.accepted
            self.connected = group.any().makePromise(of: Void.self)
            let connected = self.connected
            self.channel = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_rcvbuf), value: 4096)
                .childChannelOption(ChannelOptions.autoRead, value: false)
                .childChannelInitializer { channel in
                    accepted.withLockedValue { $0 = channel }
                    connected.succeed()
                    return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(self) }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        var port: Int { self.channel.localAddress!.port! }

        /// Reads from now on; the future completes once at least `bytes` were read in all.
        func startReading(until bytes: Int) async throws -> EventLoopFuture<Void> {
            guard let child = self.accepted.withLockedValue({ $0 }) else { throw Failure.notConnected }
            let received = try await child.eventLoop.submit {
                let promise = child.eventLoop.makePromise(of: Void.self)
                self.expecting = bytes
                self.received = promise
                if self.count >= bytes { promise.succeed() }
                return promise.futureResult
            }.get()
            try await child.setOption(ChannelOptions.autoRead, value: true).get()
            child.read()
            return received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.count += self.unwrapInboundIn(data).readableBytes
            if self.count >= self.expecting { self.received?.succeed() }
        }

        enum Failure: Error { case notConnected }
    }

    final class Silent: UpstreamResponseHandler {
        func upstreamInformational(_ head: HTTPResponseHead) {}
        func upstreamHead(_ head: HTTPResponseHead) -> EventLoopFuture<Void>? { nil }
        func upstreamBodyPart(_ buffer: ByteBuffer) -> EventLoopFuture<Void>? { nil }
        func upstreamEnd() {}
        func upstreamFailed(_ error: UpstreamError) {}
    }

    @Test(.timeLimit(.minutes(1))) func aStalledUpstreamPausesTheClientAndReadingResumesIt() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let upstream = try await StalledUpstream(group: group)
        let client = try UpstreamClient(
            endpoint: UpstreamEndpoint(host: "127.0.0.1", port: upstream.port, tls: false),
            configuration: UpstreamClientConfiguration(connectTimeout: .seconds(5), readTimeout: .seconds(60)),
            group: group
        )
        let loop = group.next()
        let paused = loop.makePromise(of: Int.self)
        let resumed = loop.makePromise(of: Void.self)
        let part = ByteBuffer(repeating: UInt8(ascii: "u"), count: 16 * 1024)
        // Far more than the kernel's socket buffers take on loopback: a pause must come before this is sent.
        let cap = 256 << 20
        let started = try await loop.submit {
            let streamer = RequestBodyStreamer(eventLoop: loop)
            let head = HTTPRequestHead(
                version: .http1_1, method: .POST, uri: "/upload",
                headers: ["host": "up", "content-length": String(cap)]
            )
            let call = client.execute(head, body: .streamed, on: loop, handler: Silent())
            streamer.attach(call)
            return NIOLoopBound((call, streamer), eventLoop: loop)
        }.get()
        // The connection is up (the upstream accepted it): the parts below are written to it, not buffered.
        try await upstream.connected.futureResult.get()
        try await loop.submit {
            let streamer = started.value.1
            var appended = 0
            var isPaused = false
            streamer.onBackpressure = { pause in
                isPaused = pause
                if pause { paused.succeed(appended) } else { resumed.succeed(()) }
            }
            // One part per pass of the loop, so writes go out between them.
            func next() {
                guard !isPaused else { return }
                guard appended < cap else { return paused.fail(Failure.neverPaused) }
                appended += part.readableBytes
                streamer.append(part)
                loop.execute { next() }
            }
            next()
        }.get()

        let appendedAtPause = try await paused.futureResult.get()
        #expect(appendedAtPause > RequestBodyStreamer.highWater)
        // Every byte appended reaches the upstream (parts are sent without a promise each), and the client resumes.
        let received = try await upstream.startReading(until: appendedAtPause)
        try await resumed.futureResult.get()
        try await received.get()

        try await loop.submit { started.value.0.cancel() }.get()
        await client.shutdown()
        try await upstream.channel.close()
        try await group.shutdownGracefully()
    }

    enum Failure: Error { case neverPaused }
}
