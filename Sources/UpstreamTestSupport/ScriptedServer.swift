import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A raw-TCP test upstream on 127.0.0.1:0 whose replies are scripted byte for byte, so a test can send
/// what no well-behaved server would: interim responses, truncated bodies, closes at any point.
///
/// It parses just enough of each request (head, `Content-Length` body) to hand the script a
/// ``Request``; the script answers with ``Action``s. Every accept, request and close is recorded, and
/// a test waits for a condition on that record with ``wait(until:)`` (no sleeps).
public final class ScriptedServer: Sendable {
    public struct Request: Sendable {
        /// 1-based, in accept order.
        public var connection: Int
        public var method: String
        public var target: String
        /// Lower-cased names.
        public var headers: [String: String]
        public var bodyLength: Int
        public var bodySHA256: String
    }

    public enum Action: Sendable {
        case send([UInt8])
        /// A FIN after what was sent.
        case close
        /// A reset (RST: `SO_LINGER` 0, then close) after what was sent.
        case reset

        public static func text(_ text: String) -> Action {
            .send(Array(text.utf8))
        }
    }

    public typealias Script = @Sendable (Request) -> [Action]

    public struct Record: Sendable {
        public var accepted = 0
        public var closed = 0
        public var requests: [Request] = []
    }

    private struct State {
        var record = Record()
        var waiters: [(predicate: @Sendable (Record) -> Bool, continuation: CheckedContinuation<Record, Never>)] = []
    }

    private let state = NIOLockedValueBox(State())
    private let channel: NIOLockedValueBox<Channel?> = NIOLockedValueBox(nil)
    /// Accepted connections by id, for `send(_:connection:)`.
    private let children = NIOLockedValueBox<[Int: Channel]>([:])

    public let port: Int

    private init(port: Int) {
        self.port = port
    }

    /// Starts a server; `respondOnHead` calls the script as soon as a request head is complete, before
    /// its body (for an upstream that answers early).
    public static func start(
        group: EventLoopGroup,
        tls: NIOSSLContext? = nil,
        respondOnHead: Bool = false,
        script: @escaping Script
    ) async throws -> ScriptedServer {
        let box = NIOLockedValueBox<ScriptedServer?>(nil)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    guard let server = box.withLockedValue({ $0 }) else {
                        throw ChannelError.ioOnClosedChannel
                    }
                    if let tls {
                        try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    let id = server.connectionAccepted()
                    server.children.withLockedValue { $0[id] = child }
                    let handler = ScriptedConnectionHandler(
                        connection: id,
                        respondOnHead: respondOnHead,
                        script: script,
                        onClose: { server.connectionClosed() },
                        onRequest: { server.requestReceived($0) }
                    )
                    try child.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let server = ScriptedServer(port: channel.localAddress!.port!)
        server.channel.withLockedValue { $0 = channel }
        box.withLockedValue { $0 = server }
        return server
    }

    /// Plays `actions` on accepted connection `connection` (1-based) outside any script: the rest of a response the
    /// script began, or bytes a well-behaved server would never send while no request is outstanding.
    public func perform(_ actions: [Action], connection: Int) async throws {
        guard let child = self.children.withLockedValue({ $0[connection] }) else {
            throw ChannelError.ioOnClosedChannel
        }
        for action in actions {
            switch action {
            case .send(let bytes):
                try await child.writeAndFlush(ByteBuffer(bytes: bytes))
            case .close:
                try? await child.close()
                return
            case .reset:
                try await (child as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                try? await child.close()
                return
            }
        }
    }

    /// Writes `bytes` on accepted connection `connection` (1-based).
    public func send(_ bytes: String, connection: Int) async throws {
        try await self.perform([.text(bytes)], connection: connection)
    }

    public func stop() async {
        let channel = self.channel.withLockedValue { $0 }
        try? await channel?.close()
    }

    // MARK: Record

    public var record: Record {
        self.state.withLockedValue { $0.record }
    }

    /// Suspends until `predicate` holds for the record, and returns that record.
    @discardableResult
    public func wait(until predicate: @escaping @Sendable (Record) -> Bool) async -> Record {
        await withCheckedContinuation { continuation in
            let ready: Record? = self.state.withLockedValue { state in
                if predicate(state.record) {
                    return state.record
                }
                state.waiters.append((predicate, continuation))
                return nil
            }
            if let ready {
                continuation.resume(returning: ready)
            }
        }
    }

    private func update(_ change: (inout Record) -> Void) {
        let ready: [(CheckedContinuation<Record, Never>, Record)] = self.state.withLockedValue { state in
            change(&state.record)
            var ready: [(CheckedContinuation<Record, Never>, Record)] = []
            state.waiters.removeAll { waiter in
                guard waiter.predicate(state.record) else {
                    return false
                }
                ready.append((waiter.continuation, state.record))
                return true
            }
            return ready
        }
        for (continuation, record) in ready {
            continuation.resume(returning: record)
        }
    }

    private func connectionAccepted() -> Int {
        var id = 0
        self.update { record in
            record.accepted += 1
            id = record.accepted
        }
        return id
    }

    private func connectionClosed() {
        self.update { $0.closed += 1 }
    }

    private func requestReceived(_ request: Request) {
        self.update { $0.requests.append(request) }
    }
}
