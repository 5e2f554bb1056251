import NIOCore
import NIOEmbedded
import NIOHTTP1
import ProxyConfig
import Testing

@testable import ProxyCore

/// `ProxyHandler` as the shell of `ConnectionStateMachine`, through an `EmbeddedChannel` whose virtual clock the
/// test moves: deadlines, pipelining and closes, with requests Reprise answers itself (no upstream).
@Suite struct ProxyHandlerShellTests {
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        client_header_timeout = "10s"
        client_body_timeout = "20s"
        keepalive_timeout = "60s"
        [[upstream]]
        name = "none"
        prefix = "/"
        url = "http://127.0.0.1:9"
        """

    /// A proxy context (no listener) and a connected embedded channel with a `ProxyHandler`.
    static func withShell(_ body: (EmbeddedChannel) throws -> Void) async throws {
        let server = try ProxyServer(configuration: try ConfigLoader.parse(Self.config), threads: 1)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ProxyHandler(proxy: server.proxy, limits: .init(maxRequestBody: 1 << 20, maxHeaderBytes: 32 << 10))
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var failure: Error?
        do { try body(channel) } catch { failure = error }
        _ = try? channel.finish()
        try await server.shutdown(timeout: .seconds(1))
        if let failure { throw failure }
    }

    /// Everything written so far, as text.
    static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let buffer) = data { text += String(buffer: buffer) }
        }
        return text
    }

    @Test func anIncompleteHeadTimesOutWith408AtItsDeadline() async throws {
        try await Self.withShell { channel in
            try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n"))
            channel.embeddedEventLoop.advanceTime(by: .seconds(9))
            #expect(try Self.written(channel).isEmpty)
            #expect(channel.isActive)
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            let text = try Self.written(channel)
            #expect(text.hasPrefix("HTTP/1.1 408"))
            #expect(text.contains("connection: close"))
            #expect(!channel.isActive)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderThenTheConnectionIdles() async throws {
        try await Self.withShell { channel in
            let two = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nOPTIONS /x HTTP/1.1\r\nHost: a\r\nMax-Forwards: 0\r\n\r\n"
            try channel.writeInbound(ByteBuffer(string: two))
            let text = try Self.written(channel)
            #expect(text.components(separatedBy: "HTTP/1.1 200").count == 3)
            #expect(channel.isActive)
            // Idle now: keepalive_timeout, not the header deadline, applies.
            channel.embeddedEventLoop.advanceTime(by: .seconds(59))
            #expect(channel.isActive)
            channel.embeddedEventLoop.advanceTime(by: .seconds(2))
            #expect(!channel.isActive)
            #expect(try Self.written(channel).isEmpty)  // closed quietly
        }
    }

    @Test func aRequestAfterConnectionCloseIsNotAnswered() async throws {
        try await Self.withShell { channel in
            let two = "OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"
            try channel.writeInbound(ByteBuffer(string: two))
            let text = try Self.written(channel)
            #expect(text.components(separatedBy: "HTTP/1.1 200").count == 2)
            #expect(text.contains("connection: close"))
            #expect(!channel.isActive)
        }
    }

    @Test func aStalledBodyTimesOutAfterTheBodyDeadline() async throws {
        try await Self.withShell { channel in
            try channel.writeInbound(ByteBuffer(string: "OPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"))
            // OPTIONS * is answered at once (an early response); the rest of its body is still awaited, to be
            // dropped, and stalls.
            #expect(try Self.written(channel).hasPrefix("HTTP/1.1 200"))
            channel.embeddedEventLoop.advanceTime(by: .seconds(19))
            #expect(channel.isActive)
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            #expect(!channel.isActive)
        }
    }

    @Test func anUnreadableRequestIsAnsweredOnceAndClosed() async throws {
        try await Self.withShell { channel in
            try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a b\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"))
            let text = try Self.written(channel)
            #expect(text.hasPrefix("HTTP/1.1 400"))
            #expect(text.components(separatedBy: "HTTP/1.1").count == 2)
            #expect(!channel.isActive)
        }
    }
}
