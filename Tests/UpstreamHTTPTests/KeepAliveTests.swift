import NIOCore
import NIOHTTP1
import Testing
import UpstreamHTTP
import UpstreamTestSupport

/// Connection reuse: when a connection goes back to the pool, and when it must not.
@Suite struct KeepAliveTests {
    @Test func aSecondRequestReusesTheConnectionUntilAResponseSaysClose() async throws {
        try await withFixture(script: { request in
            if request.target == "/close" {
                return [.text(response(headers: ["Connection: close"], body: "bye"))]
            }
            return [.text(response(body: "hello from \(request.connection)"))]
        }) { (f: Fixture) async throws in
            let first = try await f.client.run(request("/a"), on: f.loop)
            #expect(first.error == nil)
            #expect(first.status == 200)
            #expect(first.text == "hello from 1")
            let second = try await f.client.run(request("/b"), on: f.loop)
            #expect(second.text == "hello from 1")
            #expect(f.server.record.accepted == 1)

            let third = try await f.client.run(request("/close"), on: f.loop)
            #expect(third.text == "bye")
            #expect(try await f.idleCount() == 0)
            let fourth = try await f.client.run(request("/d"), on: f.loop)
            #expect(fourth.text == "hello from 2")
            #expect(f.server.record.accepted == 2)
        }
    }

    @Test func aRequestWithConnectionCloseIsNotReused() async throws {
        try await withFixture(script: { request in
            [.text(response(body: "\(request.connection)"))]
        }) { (f: Fixture) async throws in
            let first = try await f.client.run(request("/a", headers: [("Connection", "close")]), on: f.loop)
            #expect(first.text == "1")
            #expect(try await f.idleCount() == 0)
            let second = try await f.client.run(request("/b"), on: f.loop)
            #expect(second.text == "2")
        }
    }

    @Test func anHTTP10ResponseIsReusedOnlyWithKeepAlive() async throws {
        try await withFixture(script: { request in
            let headers = request.target == "/keep" ? ["Connection: keep-alive"] : []
            return [.text(response(headers: headers, body: "\(request.connection)", version: "HTTP/1.0"))]
        }) { (f: Fixture) async throws in
            #expect(try await f.client.run(request("/keep"), on: f.loop).text == "1")
            #expect(try await f.client.run(request("/plain"), on: f.loop).text == "1")
            #expect(try await f.idleCount() == 0)
            #expect(try await f.client.run(request("/keep"), on: f.loop).text == "2")
        }
    }

    @Test func aHEADResponseHasNoBodyAndLeavesTheConnectionReusable() async throws {
        try await withFixture(script: { request in
            if request.method == "HEAD" {
                return [.text("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")]
            }
            return [.text(response(body: "after head"))]
        }) { (f: Fixture) async throws in
            let head = try await f.client.run(request(.HEAD, "/h"), on: f.loop)
            #expect(head.error == nil)
            #expect(head.order == ["head 200", "end"])
            #expect(head.head?.headers["Content-Length"] == ["1000"])
            let next = try await f.client.run(request("/g"), on: f.loop)
            #expect(next.text == "after head")
            #expect(f.server.record.accepted == 1)
        }
    }

    @Test func responses204And304HaveNoBody() async throws {
        try await withFixture(script: { request in
            switch request.target {
            case "/204":
                return [.text("HTTP/1.1 204 No Content\r\n\r\n")]
            case "/304":
                // A 304 may carry the Content-Length of the stored representation; it still has no body.
                return [.text("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 10\r\n\r\n")]
            default:
                return [.text(response(body: "next"))]
            }
        }) { (f: Fixture) async throws in
            let noContent = try await f.client.run(request("/204"), on: f.loop)
            #expect(noContent.order == ["head 204", "end"])
            let notModified = try await f.client.run(request("/304"), on: f.loop)
            #expect(notModified.order == ["head 304", "end"])
            #expect(try await f.client.run(request("/next"), on: f.loop).text == "next")
            #expect(f.server.record.accepted == 1)
        }
    }

    @Test func aCloseDelimitedBodyEndsCleanlyAtEOF() async throws {
        try await withFixture(script: { request in
            if request.target == "/eof10" {
                return [.text("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, "), .text("world"), .close]
            }
            if request.target == "/eof11" {
                return [.text("HTTP/1.1 200 OK\r\n\r\nuntil close"), .close]
            }
            return [.text(response(body: "fresh \(request.connection)"))]
        }) { (f: Fixture) async throws in
            let old = try await f.client.run(request("/eof10"), on: f.loop)
            #expect(old.error == nil)
            #expect(old.order.last == "end")
            #expect(old.text == "hello, world")
            let new = try await f.client.run(request("/eof11"), on: f.loop)
            #expect(new.error == nil)
            #expect(new.text == "until close")
            #expect(try await f.client.run(request("/x"), on: f.loop).text == "fresh 3")
        }
    }

    @Test func aResponseBeforeTheRequestBodyEndsClosesTheConnection() async throws {
        try await withFixture(respondOnHead: true, script: { request in
            [.text(response(body: "early \(request.connection)"))]
        }) { (f: Fixture) async throws in
            let upload = request(.POST, "/upload", headers: [("Content-Length", "100")])
            let started = try await f.client.start(upload, body: .streamed, on: f.loop) { _, call in
                _ = call.write(ByteBuffer(string: "0123456789"))
            }
            let early = try await started.done.get()
            #expect(early.error == nil)
            #expect(early.text == "early 1")
            #expect(try await f.idleCount() == 0)
            // The rest of the body can no longer be sent.
            let handler = started.handler
            let late = try await handler.eventLoop.flatSubmit {
                handler.value.call!.write(ByteBuffer(string: "more")).map { false }.recover { _ in true }
            }.get()
            #expect(late)
            await f.server.wait { $0.closed == 1 }
            #expect(try await f.client.run(request("/next"), on: f.loop).text == "early 2")
        }
    }

    @Test func aRequestStartedFromUpstreamEndReusesTheConnection() async throws {
        try await withFixture(script: { request in
            [.text(response(body: "\(request.target) on \(request.connection)"))]
        }) { (f: Fixture) async throws in
            let client = f.client
            let second = f.loop.makePromise(of: Recorded.self)
            let first = try await client.run(request("/1"), on: f.loop) { handler, _ in
                handler.onEnd = {
                    let next = RecordingHandler(eventLoop: handler.eventLoop)
                    _ = client.execute(request("/2"), body: .none, on: handler.eventLoop, handler: next)
                    second.completeWith(next.done.futureResult)
                }
            }
            #expect(first.text == "/1 on 1")
            #expect(try await second.futureResult.get().text == "/2 on 1")
            #expect(f.server.record.accepted == 1)
        }
    }

    @Test func aStreamedBodyWithoutContentLengthIsSentChunked() async throws {
        try await withFixture(script: { request in
            // The scripted server does not decode chunked bodies: answer and drop the connection.
            [.text(response(body: request.headers["transfer-encoding"] ?? "unframed")), .close]
        }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request(.DELETE, "/x"), body: .streamed, on: f.loop) { _, call in
                _ = call.write(ByteBuffer(string: "abc"))
                call.end()
            }
            #expect(reply.text == "chunked")
        }
    }
}
