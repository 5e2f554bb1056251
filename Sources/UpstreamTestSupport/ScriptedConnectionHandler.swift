import Crypto
import Foundation
import NIOCore
import NIOPosix

/// One accepted connection of the ``ScriptedServer``: collects bytes into requests and plays the
/// script's actions for each. Confined to the child channel's event loop.
final class ScriptedConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct PendingHead {
        var method: String
        var target: String
        var headers: [String: String]
        var bodyLength: Int
    }

    private let connection: Int
    private let respondOnHead: Bool
    private let script: ScriptedServer.Script
    private let onClose: @Sendable () -> Void
    private let onRequest: @Sendable (ScriptedServer.Request) -> Void
    private var received: [UInt8] = []
    private var head: PendingHead?
    private var body = SHA256()
    private var bodyReceived = 0
    private var closed = false

    init(
        connection: Int,
        respondOnHead: Bool,
        script: @escaping ScriptedServer.Script,
        onClose: @escaping @Sendable () -> Void,
        onRequest: @escaping @Sendable (ScriptedServer.Request) -> Void
    ) {
        self.connection = connection
        self.respondOnHead = respondOnHead
        self.script = script
        self.onClose = onClose
        self.onRequest = onRequest
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        self.received.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        self.process(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A client that gives up (cancel, untrusted certificate) resets or aborts; that is not a test failure.
        context.close(promise: nil)
    }

    // MARK: Parsing

    private func process(context: ChannelHandlerContext) {
        while !self.closed {
            if self.head == nil {
                guard let head = self.takeHead() else {
                    return
                }
                self.head = head
                self.body = SHA256()
                self.bodyReceived = 0
                if self.respondOnHead {
                    self.respond(to: head, context: context)
                }
            }
            guard let head = self.head else {
                return
            }
            let take = min(head.bodyLength - self.bodyReceived, self.received.count)
            if take > 0 {
                self.body.update(data: self.received[0..<take])
                self.received.removeFirst(take)
                self.bodyReceived += take
            }
            guard self.bodyReceived == head.bodyLength else {
                return
            }
            self.head = nil
            if !self.respondOnHead {
                self.respond(to: head, context: context)
            }
        }
    }

    private func takeHead() -> PendingHead? {
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        guard self.received.count >= 4,
            let end = (0...(self.received.count - 4)).first(where: { self.received[$0..<($0 + 4)].elementsEqual(terminator) })
        else {
            return nil
        }
        let text = String(decoding: self.received[0..<end], as: UTF8.self)
        self.received.removeFirst(end + 4)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines.removeFirst().split(separator: " ").map(String.init)
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                continue
            }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return PendingHead(
            method: requestLine.first ?? "",
            target: requestLine.count > 1 ? requestLine[1] : "",
            headers: headers,
            bodyLength: headers["content-length"].flatMap { Int($0) } ?? 0
        )
    }

    // MARK: Replying

    private func respond(to head: PendingHead, context: ChannelHandlerContext) {
        let digest = self.respondOnHead ? "" : self.body.finalize().map { String(format: "%02x", $0) }.joined()
        let request = ScriptedServer.Request(
            connection: self.connection,
            method: head.method,
            target: head.target,
            headers: head.headers,
            bodyLength: self.respondOnHead ? 0 : head.bodyLength,
            bodySHA256: digest
        )
        self.onRequest(request)
        for action in self.script(request) {
            switch action {
            case .send(let bytes):
                context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
            case .close:
                self.closed = true
                context.close(promise: nil)
                return
            case .reset:
                self.closed = true
                // The writes above were flushed to the socket; the RST discards nothing already sent on loopback.
                let channel = context.channel
                let lingerSet = (channel as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                    ?? channel.eventLoop.makeSucceededVoidFuture()
                lingerSet.whenComplete { _ in channel.close(promise: nil) }
                return
            }
        }
    }
}
