import NIOCore
import NIOHTTP1
import ProxyCore

/// NIO glue for the admin API: collects a (small) request body and writes the JSON reply.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maxBody = 1 << 20

    private let api: AdminAPI
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(api: AdminAPI) {
        self.api = api
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
            self.tooLarge = false
        case .body(let buffer):
            if self.body.count + buffer.readableBytes > Self.maxBody {
                self.tooLarge = true
            } else {
                self.body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let reply =
                self.tooLarge
                ? AdminAPI.Reply(status: .payloadTooLarge, json: #"{"error":"admin request body too large"}"#)
                : self.api.handle(method: head.method, uri: head.uri, headers: head.headers, body: self.body)
            guard let pending = reply.pending else { return self.write(reply, head: head, context: context) }
            // The reply waits (a fleet purge); reads are not paused, but an admin client waits for its answer.
            pending.hop(to: context.eventLoop).whenComplete { result in
                let final = (try? result.get()) ?? reply
                self.write(final, head: head, context: context)
            }
        }
    }

    private func write(_ reply: AdminAPI.Reply, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let buffer = ByteBuffer(string: reply.contentType == "application/json" ? reply.json + "\n" : reply.json)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: reply.contentType)
        headers.add(name: "content-length", value: String(buffer.readableBytes))
        headers.add(name: "cache-control", value: "no-store")
        for (name, value) in reply.extraHeaders { headers.add(name: name, value: value) }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: reply.status, headers: headers))), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}

extension AdminAPI {
    /// The admin API for `ProxyServer.start(admin:)`: an HTTP/1.1 pipeline and an `AdminHandler` per connection.
    public static let mount: AdminMount = { surface, token in
        let api = AdminAPI(server: surface, token: token)
        return { channel in
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(AdminHandler(api: api))
        }
    }
}
