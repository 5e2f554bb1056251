import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import UpstreamHTTP
import UpstreamTestSupport

/// Bodies in both directions: chunked responses, streamed uploads, and the handler's backpressure.
@Suite struct BodyTests {
    @Test func aChunkedResponseArrivesAsPartsWithItsBytesIntact() async throws {
        try await withFixture(script: { _ in
            [.text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n")]
        }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request("/chunked"), on: f.loop)
            #expect(reply.error == nil)
            #expect(reply.text == "hello world")
            #expect(reply.parts >= 3)
            #expect(try await f.client.run(request("/chunked"), on: f.loop).text == "hello world")
            #expect(f.server.record.accepted == 1)
        }
    }

    @Test func aStreamedUploadOf8MiBArrivesIntact() async throws {
        let partSize = 64 * 1024
        let partCount = 128
        let payload = (0..<(partSize * partCount)).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let expected = SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined()
        try await withFixture(script: { request in
            [.text(response(body: "\(request.bodyLength) \(request.bodySHA256)"))]
        }) { (f: Fixture) async throws in
            let upload = request(.PUT, "/blob", headers: [("Content-Length", "\(payload.count)")])
            let reply = try await f.client.run(upload, body: .streamed, on: f.loop) { _, call in
                func part(_ index: Int) -> ByteBuffer {
                    ByteBuffer(bytes: payload[(index * partSize)..<((index + 1) * partSize)])
                }
                // The first parts are written before the connection exists: they must be buffered, not lost.
                for index in 0..<3 {
                    _ = call.write(part(index))
                }
                func send(_ index: Int) {
                    guard index < partCount else {
                        call.end()
                        return
                    }
                    call.write(part(index)).assumeIsolated().whenSuccess { send(index + 1) }
                }
                send(3)
            }
            #expect(reply.error == nil)
            #expect(reply.text == "\(payload.count) \(expected)")
        }
    }

    @Test func aPendingBodyFutureStopsDeliveryUntilItCompletes() async throws {
        let size = 4 * 1024 * 1024
        let body = String(repeating: "0123456789abcdef", count: size / 16)
        try await withFixture(script: { request in
            request.target == "/big" ? [.text(response(body: body))] : [.text(response(body: "small"))]
        }) { (f: Fixture) async throws in
            let gate = f.loop.makePromise(of: Void.self)
            let firstPart = f.loop.makePromise(of: Void.self)
            let started = try await f.client.start(request("/big"), on: f.loop) { handler, _ in
                handler.onBody = { _, handler in
                    guard handler.recorded.parts == 1 else {
                        return handler.eventLoop.makeSucceededVoidFuture()
                    }
                    firstPart.succeed(())
                    return gate.futureResult
                }
            }
            try await firstPart.futureResult.get()
            // While the part is pending, let the loop run a whole other exchange; the held call must not move.
            #expect(try await f.client.run(request("/small"), on: f.loop).text == "small")
            let during = try await started.snapshot()
            #expect(during.parts == 1)
            #expect(during.order == ["head 200", "body"])

            gate.succeed(())
            let reply = try await started.done.get()
            #expect(reply.error == nil)
            #expect(reply.parts > 1)
            #expect(reply.body.count == size)
            #expect(reply.text == body)
        }
    }

    @Test func aPendingHeadFutureHoldsTheBodyAndEnd() async throws {
        try await withFixture(script: { request in
            [.text(response(body: request.target == "/held" ? "held body" : "other"))]
        }) { (f: Fixture) async throws in
            let gate = f.loop.makePromise(of: Void.self)
            let headSeen = f.loop.makePromise(of: Void.self)
            let started = try await f.client.start(request("/held"), on: f.loop) { handler, _ in
                handler.onHead = { _ in
                    headSeen.succeed(())
                    return gate.futureResult
                }
            }
            try await headSeen.futureResult.get()
            #expect(try await f.client.run(request("/other"), on: f.loop).text == "other")
            #expect(try await started.snapshot().order == ["head 200"])

            gate.succeed(())
            let reply = try await started.done.get()
            #expect(reply.order == ["head 200", "body", "end"])
            #expect(reply.text == "held body")
        }
    }
}
