import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import UpstreamHTTP
import UpstreamTestSupport

/// Failures: each ends the call with exactly one `upstreamFailed` of the right kind, and a cancel ends
/// it with no callback at all.
@Suite struct FailureTests {
    @Test func aRefusedPortIsUnreachable() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // A port bound but not listening: a connect is refused, and no other test's server can take the port while
        // the socket holds it (a port closed again right away was once taken by a parallel test's server, which
        // answered 404).
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { _ = Glibc.close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                Glibc.bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        try #require(socket >= 0 && bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let client = try UpstreamClient(
            endpoint: UpstreamEndpoint(host: "127.0.0.1", port: port, tls: false),
            configuration: UpstreamClientConfiguration(connectTimeout: .seconds(5), readTimeout: .seconds(5)),
            group: group
        )
        let reply = try await client.run(request("/"), on: group.any())
        #expect(reply.error?.kind == .unreachable)
        #expect(reply.order == ["failed"])
        #expect(reply.error?.isTimeout == false)
        await client.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func anUpstreamThatNeverAnswersTimesOut() async throws {
        try await withFixture(configure: { $0.readTimeout = .milliseconds(200) }, script: { _ in [] }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request("/silent"), on: f.loop)
            #expect(reply.error?.kind == .readTimeout)
            #expect(reply.error?.isTimeout == true)
            #expect(reply.order == ["failed"])
            await f.server.wait { $0.closed == 1 }
            #expect(try await f.idleCount() == 0)
        }
    }

    /// The first exchange's read timer is left scheduled when it ends (issue 18: no task per exchange); the second
    /// exchange on the same connection is timed all the same.
    @Test func aReusedConnectionThatNeverAnswersTimesOut() async throws {
        try await withFixture(configure: { $0.readTimeout = .milliseconds(200) }, script: { request in
            request.target == "/silent" ? [] : [.text(response(body: "first"))]
        }) { (f: Fixture) async throws in
            #expect(try await f.client.run(request("/a"), on: f.loop).text == "first")
            let reply = try await f.client.run(request("/silent"), on: f.loop)
            #expect(f.server.record.accepted == 1)
            #expect(reply.error?.kind == .readTimeout)
            await f.server.wait { $0.closed == 1 }
        }
    }

    @Test func aCloseMidBodyIsClosedEarly() async throws {
        try await withFixture(script: { _ in
            [.text("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"), .close]
        }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request("/cut"), on: f.loop)
            #expect(reply.error?.kind == .closedEarly)
            #expect(reply.order.first == "head 200")
            #expect(reply.order.last == "failed")
            #expect(reply.text == "0123456789")
        }
    }

    @Test func aCloseBeforeAnyResponseByteIsUnreachable() async throws {
        try await withFixture(script: { _ in [.close] }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request("/nothing"), on: f.loop)
            #expect(reply.error?.kind == .unreachable)
            #expect(reply.error?.reusedConnection == false)
        }
    }

    @Test func garbageIsAProtocolError() async throws {
        try await withFixture(script: { _ in [.text("SSH-2.0-OpenSSH_9.6\r\n\r\n")] }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request("/"), on: f.loop)
            #expect(reply.error?.kind == .protocolError)
        }
    }

    @Test func aCancelMidResponseStopsCallbacksAndTheConnectionIsNotReused() async throws {
        try await withFixture(script: { request in
            if request.target == "/slow" {
                return [.text("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")]
            }
            return [.text(response(body: "fresh \(request.connection)"))]
        }) { (f: Fixture) async throws in
            let cancelled = f.loop.makePromise(of: Void.self)
            let started = try await f.client.start(request("/slow"), on: f.loop) { handler, _ in
                handler.onBody = { _, handler in
                    handler.call?.cancel()
                    cancelled.succeed(())
                    return handler.eventLoop.makeSucceededVoidFuture()
                }
            }
            try await cancelled.futureResult.get()
            await f.server.wait { $0.closed == 1 }
            let seen = try await started.snapshot()
            #expect(seen.order == ["head 200", "body"])
            #expect(seen.lateCallbacks == 0)

            // A write after the cancel fails; the next request needs a new connection.
            let handler = started.handler
            let writeFailed = try await handler.eventLoop.flatSubmit {
                handler.value.call!.write(ByteBuffer(string: "x")).map { false }.recover { _ in true }
            }.get()
            #expect(writeFailed)
            #expect(try await f.client.run(request("/next"), on: f.loop).text == "fresh 2")
            #expect(try await started.snapshot().order == ["head 200", "body"])
        }
    }

    @Test func aCancelBeforeTheConnectionExistsDeliversNothing() async throws {
        try await withFixture(script: { request in [.text(response(body: "\(request.connection)"))] }) { (f: Fixture) async throws in
            let started = try await f.client.start(request("/never"), on: f.loop) { _, call in
                call.cancel()
            }
            // The fresh connection was never used, so it is pooled and serves the next call.
            while try await f.idleCount() != 1 {
                await Task.yield()
            }
            #expect(try await f.client.run(request("/next"), on: f.loop).text == "1")
            #expect(try await started.snapshot().order.isEmpty)
            #expect(f.server.record.requests.map(\.target) == ["/next"])
        }
    }
}
