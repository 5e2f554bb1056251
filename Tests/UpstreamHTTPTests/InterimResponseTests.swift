import NIOCore
import NIOHTTP1
import Testing
import UpstreamHTTP
import UpstreamTestSupport

/// 1xx responses are passed through in order before the final head (RFC 9110 §15.2).
@Suite struct InterimResponseTests {
    @Test func earlyHintsArriveBeforeTheFinalHead() async throws {
        try await withFixture(script: { request in
            [
                .text("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"),
                .text(response(headers: ["Content-Type: text/html"], body: "<html>page \(request.connection)</html>")),
            ]
        }) { (f: Fixture) async throws in
            let page = try await f.client.run(request("/page"), on: f.loop)
            #expect(page.error == nil)
            #expect(page.order.first == "1xx 103")
            #expect(page.order.dropFirst().first == "head 200")
            #expect(page.order.last == "end")
            #expect(page.informational.count == 1)
            #expect(page.informational.first?.headers["Link"] == ["</style.css>; rel=preload; as=style"])
            #expect(page.head?.headers["Link"] == [])
            #expect(page.text == "<html>page 1</html>")
            // The decoder is back in step: the next exchange on the connection parses normally.
            let again = try await f.client.run(request("/page"), on: f.loop)
            #expect(again.order.first == "1xx 103")
            #expect(again.text == "<html>page 1</html>")
        }
    }

    @Test func twoInterimResponsesInARowKeepTheirOrder() async throws {
        try await withFixture(script: { _ in
            [
                .text("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.js>; rel=preload\r\n\r\n"),
                .text(response(body: "done")),
            ]
        }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request("/two"), on: f.loop)
            #expect(reply.order == ["1xx 100", "1xx 103", "head 200", "body", "end"])
            #expect(reply.informational.map(\.status.code) == [100, 103])
            #expect(reply.text == "done")
        }
    }

    @Test func continueBeforeTheFinalResponseOfAnUpload() async throws {
        try await withFixture(script: { request in
            [.text("HTTP/1.1 100 Continue\r\n\r\n"), .text(response("201 Created", body: "got \(request.bodyLength)"))]
        }) { (f: Fixture) async throws in
            let upload = request(.POST, "/upload", headers: [("Content-Length", "5"), ("Expect", "100-continue")])
            let reply = try await f.client.run(upload, body: .streamed, on: f.loop) { _, call in
                _ = call.write(ByteBuffer(string: "12345"))
                call.end()
            }
            #expect(reply.order.prefix(2) == ["1xx 100", "head 201"])
            #expect(reply.text == "got 5")
            #expect(try await f.client.run(upload, body: .streamed, on: f.loop) { _, call in
                _ = call.write(ByteBuffer(string: "abcde"))
                call.end()
            }.text == "got 5")
            #expect(f.server.record.accepted == 1)
        }
    }

    @Test func switchingProtocolsIsAProtocolError() async throws {
        try await withFixture(script: { _ in
            [.text("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")]
        }) { (f: Fixture) async throws in
            let reply = try await f.client.run(request("/ws"), on: f.loop)
            #expect(reply.error?.kind == .protocolError)
            #expect(reply.order == ["failed"])
            #expect(try await f.idleCount() == 0)
        }
    }
}
