import Foundation
import NIOCore
import Testing
import UpstreamTestSupport

@testable import ProxyCore

/// Upstream responses that break the rules are contained (issue 13): through the real listener, against a scripted
/// raw-TCP upstream, the client gets a 502 (504) with the JSON error body when no response head went out yet, or its
/// connection is cut when one did, after what was received was flushed to it (a truncated response is never
/// presented as complete); nothing is stored; the upstream connection is closed, never pooled; the next request on
/// a new connection is answered normally, over a new upstream connection; `reprise_upstream_errors_total` counts
/// the failure by kind; the access log has the request's line.
@Suite struct BrokenUpstreamTests {
    enum Expected: Sendable {
        /// A response of Reprise's own: status and error message.
        case status(Int, String)
        /// The head went out: the connection is cut, the body visibly incomplete.
        case cut
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        var method = "GET"
        /// Played when the request arrives.
        let reply: [ScriptedServer.Action]
        /// Played once the client has received the response head (the rest of a response that went wrong later).
        var afterHead: [ScriptedServer.Action]? = nil
        let expected: Expected
        /// The `kind` label of `reprise_upstream_errors_total`.
        let kind: String
        var testDescription: String { self.name }
    }

    static let invalid = "upstream sent an invalid HTTP response"
    static let failed = "upstream connection failed"
    static let second = upstreamResponse(body: "second response")
    static let chunkedHead = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

    static let cases: [Case] = [
        // Framing fields that cannot be trusted
        Case(name: "two Content-Length fields that disagree",
             reply: [.text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "Content-Length with Transfer-Encoding",
             reply: [.text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "a non-numeric Content-Length", reply: [.text("HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\nhello")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "a negative Content-Length", reply: [.text("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "an invalid chunk size after the head", reply: [.text(chunkedHead + "5\r\nhello\r\n")],
             afterHead: [.text("zz\r\nmore\r\n0\r\n\r\n")], expected: .cut, kind: "protocol"),
        Case(name: "an overlong chunk size after the head", reply: [.text(chunkedHead + "5\r\nhello\r\n")],
             afterHead: [.text("10000000000000005\r\n")], expected: .cut, kind: "protocol"),
        Case(name: "an invalid chunk size with the head, in one read", reply: [.text(chunkedHead + "5\r\nhello\r\nzz\r\n")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "a chunked body without its last chunk, then a close", reply: [.text(chunkedHead + "5\r\nhello\r\n"), .close],
             expected: .cut, kind: "truncated"),
        // Lengths against bodies
        Case(name: "a body shorter than its Content-Length, then a close",
             reply: [.text("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"), .close], expected: .cut, kind: "truncated"),
        Case(name: "a body longer than its Content-Length (extra bytes)",
             reply: [.text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more")], expected: .status(502, invalid),
             kind: "protocol"),
        Case(name: "a complete response followed at once by a second one (defect b)",
             reply: [.text(upstreamResponse(body: "hello") + second)], expected: .status(502, invalid), kind: "protocol"),
        // Heads
        Case(name: "a status line that is not HTTP/1.x", reply: [.text("HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "a head larger than max_upstream_header_bytes",
             reply: [.text(upstreamResponse(headers: ["X-Big: " + String(repeating: "b", count: 3000)], body: "ok"))],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "a header line ending in a bare LF", reply: [.text("HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 2\r\n\r\nok")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "a NUL in a header value", reply: [.text("HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\nContent-Length: 2\r\n\r\nok")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "an obs-fold header line", reply: [.text("HTTP/1.1 200 OK\r\nX-A: a\r\n  b\r\nContent-Length: 2\r\n\r\nok")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "101 Switching Protocols", reply: [.text("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")],
             expected: .status(502, invalid), kind: "protocol"),
        // Bodiless responses
        Case(name: "a Content-Length on a 204, with a response behind it (defect a)",
             reply: [.text("HTTP/1.1 204 No Content\r\nContent-Length: 74\r\n\r\n" + upstreamResponse(body: String(repeating: "x", count: 36)))],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "a body on a 304 that carries Content-Length",
             reply: [.text("HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\nContent-Length: 4\r\n\r\nbody")],
             expected: .status(502, invalid), kind: "protocol"),
        Case(name: "a body on a response to HEAD", method: "HEAD", reply: [.text("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody")],
             expected: .status(502, invalid), kind: "protocol"),
        // Resets, silence, interim responses
        Case(name: "a reset before the head", reply: [.reset], expected: .status(502, "upstream unreachable"), kind: "unreachable"),
        Case(name: "a reset mid-head", reply: [.text("HTTP/1.1 200 OK\r\nContent-Le"), .reset], expected: .status(502, failed),
             kind: "truncated"),
        Case(name: "a reset mid-body", reply: [.text("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nthe start")],
             afterHead: [.reset], expected: .cut, kind: "truncated"),
        Case(name: "a 100 Continue followed by a close", reply: [.text("HTTP/1.1 100 Continue\r\n\r\n"), .close],
             expected: .status(502, failed), kind: "truncated"),
    ]

    @Test(arguments: cases)
    func aBrokenResponseIsContained(_ c: Case) async throws {
        try await withScriptedHarness(script: { request in
            request.target == "/broken" ? c.reply : [.text(upstreamResponse(body: "fine on \(request.connection)"))]
        }) { (h: ScriptedHarness) async throws in
            let client = try await InteractiveClient.connect(port: h.server.port)
            try await client.send("\(c.method) /broken HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            if let afterHead = c.afterHead {
                try await client.waitFor("\r\n\r\n")
                try await h.upstream.perform(afterHead, connection: 1)
            }
            try await client.waitForClose()
            let response = RawResponse(try await client.text)

            switch c.expected {
            case .status(let status, let message):
                #expect(response.status == status)
                #expect(response.headers["content-type"] == "application/json")
                // A response to HEAD has the error's head alone.
                #expect(response.body == (c.method == "HEAD" ? "" : "{\"error\":\"\(message)\",\"upstream\":\"scripted\"}\n"))
                #expect(response.headers["cache-status"] == "Reprise; fwd=uri-miss; detail=upstream-error")
            case .cut:
                // The head and what came of the body reached the client, then the close: visibly incomplete.
                #expect(response.status == 200)
                #expect(!response.body.isEmpty)
                #expect(response.isTruncated)
            }
            #expect(h.server.store.statistics.entries == 0)
            await h.upstream.wait { $0.closed >= 1 }

            // The next request, on a new client connection, is answered normally over a new upstream connection.
            let next = try await h.request("/ok")
            #expect(RawResponse(next.text).status == 200)
            #expect(RawResponse(next.text).body == "fine on 2")
            #expect(h.upstream.record.accepted == 2)
            #expect(h.server.store.statistics.entries == 1)

            #expect(h.metric("reprise_upstream_errors_total", [#"kind="\#(c.kind)""#, #"upstream="scripted""#]) == 1)
            let lines = try await h.accessLines()
            #expect(lines.count == 2)
            let line = lines.first ?? [:]
            #expect(line["path"] as? String == "/broken")
            switch c.expected {
            case .status(let status, _):
                #expect(line["status"] as? Int == status)
                #expect(line["cache"] as? String == "error")
            case .cut:
                #expect(line["status"] as? Int == 200)
                #expect(line["cache"] as? String == "aborted")
                #expect(line["detail"] as? String == "upstream-error")
                let written = response.headers["transfer-encoding"] == nil ? response.body.utf8.count : nil
                if let written { #expect(line["bytes"] as? Int == written) }
            }
        }
    }

    /// An upstream that accepts and never answers: 504 at `read_timeout`, and its connection is closed.
    @Test func anUpstreamThatNeverAnswersIs504() async throws {
        try await withScriptedHarness(readTimeout: "300ms", script: { request in
            request.target == "/silent" ? [] : [.text(upstreamResponse(body: "fine on \(request.connection)"))]
        }) { (h: ScriptedHarness) async throws in
            let response = RawResponse(try await h.request("/silent").text)
            #expect(response.status == 504)
            #expect(response.body == "{\"error\":\"upstream timed out\",\"upstream\":\"scripted\"}\n")
            await h.upstream.wait { $0.closed == 1 }
            #expect(try await RawResponse(h.request("/ok").text).body == "fine on 2")
            #expect(h.metric("reprise_upstream_errors_total", [#"kind="timeout""#]) == 1)
            #expect(h.server.store.statistics.entries == 1)
        }
    }

    /// The defect the issue found first: a head and part of a body, then a close. The client must always get what
    /// was received, flushed, before the cut (it got nothing in 20-85% of attempts).
    @Test func aCutAfterPartOfABodyAlwaysDeliversWhatCameFirst() async throws {
        let part = String(repeating: "a", count: 1000)
        try await withScriptedHarness(script: { _ in
            [.text("HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: 100000\r\n\r\n" + part), .close]
        }) { (h: ScriptedHarness) async throws in
            for attempt in 1...20 {
                let (text, closed) = try await h.request("/cut?n=\(attempt)")
                let response = RawResponse(text)
                #expect(closed)
                #expect(response.status == 200, "attempt \(attempt): \(text.prefix(80))")
                #expect(response.headers["content-length"] == "100000")
                #expect(response.body == part[...], "attempt \(attempt): \(response.body.utf8.count) body bytes")
            }
            #expect(h.server.store.statistics.entries == 0)
            #expect(h.metric("reprise_upstream_errors_total", [#"kind="truncated""#]) == 20)
            let lines = try await h.accessLines()
            #expect(lines.count == 20)
            #expect(lines.allSatisfy { $0["cache"] as? String == "aborted" && $0["bytes"] as? Int == 1000 && $0["status"] as? Int == 200 })
        }
    }

    /// RFC 9110 §8.6: a 304 may carry the Content-Length of the 200 it stands for. Such a 304 has no body, is passed
    /// on, and is no error. (That it leaves the connection reusable is `KeepAliveTests.responses204And304HaveNoBody`:
    /// here the proxy's 4 s idle timeout could close the pooled connection on a loaded machine.)
    @Test func a304WithTheLengthOfItsRepresentationIsValid() async throws {
        try await withScriptedHarness(script: { request in
            request.target == "/etag"
                ? [.text("HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\nContent-Length: 1234\r\n\r\n")]
                : [.text(upstreamResponse(body: "fine on \(request.connection)"))]
        }) { (h: ScriptedHarness) async throws in
            let (text, _) = try await h.request("/etag", headers: ["If-None-Match: \"a\""])
            let response = RawResponse(text)
            #expect(response.status == 304)
            #expect(response.body.isEmpty)
            #expect(try await RawResponse(h.request("/ok").text).body.hasPrefix("fine on "))
            #expect(h.metric("reprise_upstream_errors_total", []) == nil)
            #expect(h.server.store.statistics.entries == 1)
        }
    }

    /// Bytes that come after a response already ended (in a later read) reach an idle pooled connection: it is closed,
    /// and the next request goes over a new one. (The response they followed was complete when it ended, and stays
    /// stored: bytes sent later cannot be told from a late, unrelated write.)
    @Test func bytesAfterAResponseHasEndedCloseTheIdleConnection() async throws {
        try await withScriptedHarness(script: { request in
            [.text(upstreamResponse(body: "answer \(request.target) on \(request.connection)"))]
        }) { (h: ScriptedHarness) async throws in
            #expect(try await RawResponse(h.request("/a").text).body == "answer /a on 1")
            try await h.upstream.send(upstreamResponse(body: "poison"), connection: 1)
            await h.upstream.wait { $0.closed == 1 }
            #expect(try await RawResponse(h.request("/b").text).body == "answer /b on 2")
            #expect(try await RawResponse(h.request("/a").text).body == "answer /a on 1")
        }
    }

    /// Defect (a) end to end: nothing of the 204's would-be body, and nothing behind it, reaches another request.
    @Test func a204WithABodyCannotPoisonTheNextRequest() async throws {
        let poison = upstreamResponse(headers: ["Cache-Control: max-age=3600"], body: "poisoned")
        try await withScriptedHarness(script: { request in
            request.target == "/no-content"
                ? [.text("HTTP/1.1 204 No Content\r\nContent-Length: \(poison.utf8.count)\r\n\r\n" + poison)]
                : [.text(upstreamResponse(body: "\(request.target) on \(request.connection)"))]
        }) { (h: ScriptedHarness) async throws in
            #expect(try await RawResponse(h.request("/no-content").text).status == 502)
            await h.upstream.wait { $0.closed == 1 }
            // Every answer is its own request's, over a connection other than the one the 204 came on.
            for target in ["/x", "/y", "/x"] {
                let body = try await RawResponse(h.request(target).text).body
                #expect(body.hasPrefix("\(target) on ") && !body.hasSuffix(" on 1"), "\(body)")
            }
            #expect(h.server.store.statistics.entries == 2)
            #expect(h.server.store.statistics.bytes > 0)
        }
    }
}
