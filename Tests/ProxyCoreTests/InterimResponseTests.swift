import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import ProxyCore

/// RFC 9110 §15.2: 1xx interim responses from the upstream reach the client before the final response, are
/// never stored, and never reach an HTTP/1.0 client. Raw bytes on real sockets, so the interim heads are seen
/// exactly as they go on the wire.
@Suite struct InterimResponseTests {
    static let target = "/test/cache?cc=max-age%3D60&hints=2"

    @Test func earlyHintsReachTheClientBeforeTheResponseAndAreNotStored() async throws {
        try await withHarness { h in
            let request = "GET \(Self.target) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
            let (miss, _) = try await RawClient.exchange(port: h.server.port, bytes: request)
            let hints = (0..<2).map { "HTTP/1.1 103 Early Hints\r\nlink: </style-\($0).css>; rel=preload; as=style\r\n\r\n" }
            #expect(miss.hasPrefix(hints.joined() + "HTTP/1.1 200 OK\r\n"), "\(miss)")
            #expect(miss.contains("cache-status: Reprise; fwd=uri-miss; fwd-status=200; stored"))

            // The stored response is the final one alone: a hit has no interim response.
            let (hit, _) = try await RawClient.exchange(port: h.server.port, bytes: request)
            #expect(hit.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(hit)")
            #expect(hit.contains("cache-status: Reprise; hit"))
            #expect(!hit.contains(" 103 "), "\(hit)")  // a status line, not "103" inside an ETag or a key
        }
    }

    @Test func anHTTP10ClientGetsNoInterimResponse() async throws {
        try await withHarness { h in
            let (text, _) = try await RawClient.exchange(port: h.server.port, bytes: "GET \(Self.target) HTTP/1.0\r\n\r\n")
            #expect(text.hasPrefix("HTTP/1.0 200 OK\r\n"), "\(text)")
            #expect(!text.contains(" 103 "), "\(text)")
        }
    }

    /// A client that sends `Expect: 100-continue` waits for the upstream's 100 before it sends its body.
    @Test func continueFromTheUpstreamReleasesTheClientsBody() async throws {
        try await withHarness { h in
            let body = String(repeating: "a", count: 4096)
            let client = try await InteractiveClient.connect(port: h.server.port)
            try await client.send(
                "POST /test/upload HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.utf8.count)\r\n"
                    + "Content-Type: application/octet-stream\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
            )
            try await client.waitFor("\r\n\r\n")
            #expect(try await client.text.hasPrefix("HTTP/1.1 100 Continue\r\n\r\n"))
            try await client.send(body)
            try await client.waitForClose()
            let text = try await client.text
            #expect(text.contains("HTTP/1.1 200 OK\r\n"), "\(text)")
            #expect(text.contains("\"bytes\":4096"))
        }
    }
}

/// A raw connection that can wait for what the server has written so far before it sends more.
final class InteractiveClient: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private var received = ""
    private var waiters: [(String, EventLoopPromise<Void>)] = []
    private var closed: EventLoopPromise<Void>!
    private var channel: Channel!

    static func connect(port: Int) async throws -> InteractiveClient {
        let client = InteractiveClient()
        client.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.pipeline.addHandler(client) }
            .connect(host: "127.0.0.1", port: port).get()
        return client
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.closed = context.eventLoop.makePromise()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received += String(buffer: self.unwrapInboundIn(data))
        self.waiters.removeAll { text, promise in
            guard self.received.contains(text) else { return false }
            promise.succeed(())
            return true
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closed.succeed(())
        for (_, promise) in self.waiters { promise.fail(ChannelError.ioOnClosedChannel) }
        self.waiters = []
    }

    func send(_ text: String) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Completes when the received bytes contain `text` (fails after 5 s, or when the connection closes first).
    func waitFor(_ text: String) async throws {
        let loop = self.channel.eventLoop
        try await loop.flatSubmit { () -> EventLoopFuture<Void> in
            if self.received.contains(text) { return loop.makeSucceededVoidFuture() }
            let promise = loop.makePromise(of: Void.self)
            self.waiters.append((text, promise))
            return promise.futureResult
        }.timeout(after: .seconds(5), on: loop).get()
    }

    func close() async throws {
        try await self.channel.close()
    }

    func waitForClose() async throws {
        try await self.closed.futureResult.timeout(after: .seconds(5), on: self.channel.eventLoop).get()
    }

    var text: String {
        get async throws { try await self.channel.eventLoop.submit { self.received }.get() }
    }
}
