import NIOCore
import NIOHTTP1
import Testing
import UpstreamHTTP
import UpstreamTestSupport

/// Responses that break HTTP/1.1 framing, through a real connection: each fails its call with the right kind, the
/// connection is closed and never pooled, and the next call gets a new connection and a clean answer.
@Suite struct FramingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        /// Sent whole, in one write, in answer to the request.
        let reply: String
        var method: HTTPMethod = .GET
        /// Close (FIN) or reset (RST) after the reply.
        var then: ScriptedServer.Action? = nil
        let kind: UpstreamError.Kind
        /// The callbacks the handler saw.
        let order: [String]
        var testDescription: String { self.name }
    }

    static let second = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"
    static let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

    static let cases: [Case] = [
        // Defect (a): the 204's length covers a second response; neither may be read as anything.
        Case(name: "a 204 with Content-Length and a response behind it", reply: "HTTP/1.1 204 No Content\r\nContent-Length: 74\r\n\r\n" + second,
             kind: .protocolError, order: ["failed"]),
        // Defect (b): a complete response, then more bytes in the same write. A protocol error withdraws what its read
        // brought that was not delivered yet, the head included: the handler hears of the failure alone.
        Case(name: "a complete response followed by a second one", reply: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + second,
             kind: .protocolError, order: ["failed"]),
        Case(name: "a body longer than its Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, world",
             kind: .protocolError, order: ["failed"]),
        Case(name: "a body on a 204", reply: "HTTP/1.1 204 No Content\r\n\r\nbody", kind: .protocolError, order: ["failed"]),
        Case(name: "a body on a response to HEAD", reply: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", method: .HEAD,
             kind: .protocolError, order: ["failed"]),
        Case(name: "Content-Length fields that disagree", reply: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
             kind: .protocolError, order: ["failed"]),
        Case(name: "Content-Length with Transfer-Encoding",
             reply: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
             kind: .protocolError, order: ["failed"]),
        Case(name: "a negative Content-Length", reply: "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\nabc", kind: .protocolError,
             order: ["failed"]),
        Case(name: "an invalid chunk size", reply: chunked + "xyz\r\nabc\r\n0\r\n\r\n", kind: .protocolError, order: ["failed"]),
        Case(name: "an overlong chunk size", reply: chunked + "10000000000000000\r\n", kind: .protocolError, order: ["failed"]),
        Case(name: "a status line that is not HTTP/1.x", reply: "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", kind: .protocolError,
             order: ["failed"]),
        Case(name: "a bare LF", reply: "HTTP/1.1 200 OK\nContent-Length: 0\n\n", kind: .protocolError, order: ["failed"]),
        Case(name: "a NUL in a field value", reply: "HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\nContent-Length: 0\r\n\r\n",
             kind: .protocolError, order: ["failed"]),
        Case(name: "obs-fold", reply: "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n", kind: .protocolError,
             order: ["failed"]),
        Case(name: "a head over the limit", reply: "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "b", count: 2048) + "\r\n\r\n",
             kind: .protocolError, order: ["failed"]),
        Case(name: "101 Switching Protocols", reply: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", kind: .protocolError,
             order: ["failed"]),
        // Cut short
        Case(name: "a body shorter than its Content-Length, then a close", reply: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
             then: .close, kind: .closedEarly, order: ["head 200", "body", "failed"]),
        Case(name: "a chunked body without its last chunk, then a close", reply: chunked + "5\r\nhello\r\n", then: .close,
             kind: .closedEarly, order: ["head 200", "body", "failed"]),
        Case(name: "a reset before the head", reply: "", then: .reset, kind: .unreachable, order: ["failed"]),
        Case(name: "a reset mid-head", reply: "HTTP/1.1 200 OK\r\nContent-Le", then: .reset, kind: .closedEarly, order: ["failed"]),
        Case(name: "a reset mid-body", reply: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", then: .reset, kind: .closedEarly,
             order: ["head 200", "body", "failed"]),
        Case(name: "a close mid-head", reply: "HTTP/1.1 200 OK\r\nContent-Le", then: .close, kind: .closedEarly, order: ["failed"]),
        Case(name: "100 Continue, then a close", reply: "HTTP/1.1 100 Continue\r\n\r\n", then: .close, kind: .closedEarly,
             order: ["1xx 100", "failed"]),
    ]

    @Test(arguments: cases)
    func aBrokenResponseFailsAndItsConnectionIsNeverReused(_ c: Case) async throws {
        try await withFixture(configure: { $0.maxResponseHeadBytes = 1024 }, script: { request in
            guard request.target == "/broken" else {
                return [.text(response(body: "clean \(request.connection)"))]
            }
            var actions: [ScriptedServer.Action] = c.reply.isEmpty ? [] : [.text(c.reply)]
            if let then = c.then { actions.append(then) }
            return actions
        }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request(c.method, "/broken"), on: f.loop)
            #expect(reply.error?.kind == c.kind, "\(String(describing: reply.error))")
            #expect(reply.order == c.order)
            #expect(reply.lateCallbacks == 0)
            // The client closed it (or the upstream did): nothing is pooled, and the next call needs connection 2.
            await f.server.wait { $0.closed == 1 }
            #expect(try await f.idleCount() == 0)
            let next = try await f.client.run(request("/next"), on: f.loop)
            #expect(next.error == nil)
            #expect(next.text == "clean 2")
        }
    }

    /// A protocol error in a later read than the head: what was delivered stays delivered, the failure follows.
    @Test func aProtocolErrorAfterTheHeadWasDeliveredFollowsIt() async throws {
        try await withFixture(script: { _ in [.text(Self.chunked + "5\r\nhello\r\n")] }) { (f: Fixture) async throws in
            let firstPart = f.loop.makePromise(of: Void.self)
            let started = try await f.client.start(request("/later"), on: f.loop) { handler, _ in
                handler.onBody = { _, handler in
                    firstPart.succeed(())
                    return handler.eventLoop.makeSucceededVoidFuture()
                }
            }
            try await firstPart.futureResult.get()
            try await f.server.send("zz\r\n", connection: 1)
            let reply = try await started.done.get()
            #expect(reply.order == ["head 200", "body", "failed"])
            #expect(reply.error?.kind == .protocolError)
            #expect(reply.text == "hello")
            await f.server.wait { $0.closed == 1 }
            #expect(try await f.idleCount() == 0)
        }
    }

    /// A response that fits: the same pieces, well framed, leave the connection reusable.
    @Test func aWellFramedResponseKeepsItsConnection() async throws {
        try await withFixture(configure: { $0.maxResponseHeadBytes = 1024 }, script: { request in
            [.text("HTTP/1.1 200 OK\r\nX-Pad: " + String(repeating: "p", count: 900) + "\r\nContent-Length: 5\r\n\r\nhello")]
        }) { (f: Fixture) async throws in
            #expect(try await f.client.run(request("/a"), on: f.loop).text == "hello")
            #expect(try await f.idleCount() == 1)
            #expect(try await f.client.run(request("/b"), on: f.loop).text == "hello")
            #expect(f.server.record.accepted == 1)
        }
    }

    /// Bytes that arrive on an idle pooled connection: the connection is closed, and the next call does not read
    /// them as its response.
    @Test func bytesOnAnIdleConnectionCloseIt() async throws {
        try await withFixture(script: { request in
            [.text(response(body: "answer \(request.target) on \(request.connection)"))]
        }) { (f: Fixture) async throws in
            #expect(try await f.client.run(request("/a"), on: f.loop).text == "answer /a on 1")
            #expect(try await f.idleCount() == 1)
            try await f.server.send(response(body: "stray"), connection: 1)
            await f.server.wait { $0.closed == 1 }
            #expect(try await f.idleCount() == 0)
            #expect(try await f.client.run(request("/b"), on: f.loop).text == "answer /b on 2")
        }
    }

    /// A reset right after a complete response (the upstream closed with bytes unread): the response stands, the
    /// connection is not reused.
    @Test func aResetAfterACompleteResponseKeepsTheResponse() async throws {
        try await withFixture(script: { request in
            request.target == "/then-reset" ? [.text(response(body: "whole")), .reset] : [.text(response(body: "next \(request.connection)"))]
        }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request("/then-reset"), on: f.loop)
            #expect(reply.error == nil)
            #expect(reply.text == "whole")
            await f.server.wait { $0.closed == 1 }
            #expect(try await f.client.run(request("/next"), on: f.loop).text == "next 2")
        }
    }
}
