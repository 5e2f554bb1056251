import Foundation
import NIOCore
import RedisTestSupport
import Testing
import UpstreamTestSupport

@testable import ProxyCore

/// The rest of issue 13's first point through the real listener and a scripted upstream: an upstream that answers
/// before the upload ended, coalesced followers of a failing fetch, requests whose client leaves (every request is
/// accounted for), and no L2 write in fleet mode.
@Suite struct UpstreamFailureFlowTests {
    // MARK: Early responses

    /// The upstream answers (413) after the request head, while the client is still uploading: the client gets that
    /// response, the rest of its upload is read and dropped, and its next request on the same connection is answered
    /// normally (no desync); the upstream connection is not reused.
    @Test func anEarlyResponseIsDeliveredAndTheRestOfTheUploadDiscarded() async throws {
        try await withScriptedHarness(respondOnHead: true, script: { request in
            request.method == "POST"
                ? [.text(upstreamResponse("413 Content Too Large", body: "{\"error\":\"too big\"}"))]
                : [.text(upstreamResponse(body: "fine on \(request.connection)"))]
        }) { (h: ScriptedHarness) async throws in
            let client = try await InteractiveClient.connect(port: h.server.port)
            let chunk = String(repeating: "u", count: 10_000)
            try await client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" + chunk)
            try await client.waitFor("{\"error\":\"too big\"}")
            for _ in 1..<10 { try await client.send(chunk) }
            try await client.send("GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            try await client.waitForClose()
            let text = try await client.text
            let early = RawResponse(text)
            #expect(early.status == 413)
            let after = RawResponse(String(text[text.range(of: "{\"error\":\"too big\"}")!.upperBound...]))
            #expect(after.status == 200)
            #expect(after.body == "fine on 2")
            #expect(h.upstream.record.accepted == 2)
            #expect(h.metric("reprise_upstream_errors_total", []) == nil)
        }
    }

    /// The same with an upload that goes on past `max_request_body`: the client gets the early response, then its
    /// connection is closed.
    @Test func anEarlyResponseThenAnOversizeUploadClosesTheConnection() async throws {
        try await withScriptedHarness(server: "max_request_body = \"64KiB\"", respondOnHead: true, script: { _ in
            [.text(upstreamResponse("403 Forbidden", body: "no"))]
        }) { (h: ScriptedHarness) async throws in
            let client = try await InteractiveClient.connect(port: h.server.port)
            try await client.send("PUT /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" + String(repeating: "u", count: 4096) + "\r\n")
            try await client.waitFor("\r\n\r\nno")
            // The proxy closes the connection part way: later sends may fail, as they would for any client.
            for _ in 0..<20 { try? await client.send("1000\r\n" + String(repeating: "u", count: 4096) + "\r\n") }
            try await client.waitForClose()
            let response = RawResponse(try await client.text)
            #expect(response.status == 403)
            #expect(response.body == "no")
            #expect(h.upstream.record.accepted == 1)
            let lines = try await h.accessLines()
            #expect(lines.map { $0["status"] as? Int } == [403])
        }
    }

    // MARK: Coalesced followers of a failing fetch

    /// Starts a leader and `followers` followers on the key of `/gen` (the upstream holds its answer), and returns
    /// their connections once every follower waits on the leader's fetch.
    private func leaderAndFollowers(_ h: ScriptedHarness, followers: Int) async throws -> [InteractiveClient] {
        let leader = try await InteractiveClient.connect(port: h.server.port)
        try await leader.send("GET /gen HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        await h.upstream.wait { $0.requests.count == 1 }
        var clients = [leader]
        for _ in 0..<followers {
            let client = try await InteractiveClient.connect(port: h.server.port)
            try await client.send("GET /gen HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            clients.append(client)
        }
        try await h.until("\(followers) followers wait on the fetch") { h.server.proxy.coalescer.followerCount == followers }
        return clients
    }

    @Test func followersOfAFetchThatFailsBeforeItsHeadGetA502() async throws {
        try await withScriptedHarness(script: { _ in [] }) { (h: ScriptedHarness) async throws in
            let clients = try await self.leaderAndFollowers(h, followers: 3)
            try await h.upstream.perform([.text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!")], connection: 1)
            var collapsed = 0
            for client in clients {
                try await client.waitForClose()
                let response = RawResponse(try await client.text)
                #expect(response.status == 502)
                #expect(response.body == "{\"error\":\"upstream sent an invalid HTTP response\",\"upstream\":\"scripted\"}\n")
                if response.headers["cache-status"]?.contains("collapsed") == true { collapsed += 1 }
            }
            #expect(collapsed == 3)
            // One upstream request for all four: the followers did not each try the upstream that just failed.
            #expect(h.upstream.record.requests.count == 1)
            #expect(h.metric("reprise_upstream_errors_total", [#"kind="protocol""#]) == 1)
            #expect(h.server.store.statistics.entries == 0)
            let lines = try await h.accessLines()
            #expect(lines.count == 4)
            #expect(lines.allSatisfy { $0["status"] as? Int == 502 && $0["cache"] as? String == "error" })
        }
    }

    @Test func followersOfAFetchCutMidBodyAreCutToo() async throws {
        try await withScriptedHarness(script: { _ in [] }) { (h: ScriptedHarness) async throws in
            let clients = try await self.leaderAndFollowers(h, followers: 3)
            try await h.upstream.perform([.text("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "h", count: 100))], connection: 1)
            for client in clients { try await client.waitFor(String(repeating: "h", count: 100)) }
            try await h.upstream.perform([.reset], connection: 1)
            for client in clients {
                try await client.waitForClose()
                let response = RawResponse(try await client.text)
                #expect(response.status == 200)
                #expect(response.body.utf8.count == 100)
                #expect(response.isTruncated)
            }
            #expect(h.server.store.statistics.entries == 0)
            #expect(h.metric("reprise_upstream_errors_total", [#"kind="truncated""#]) == 1)
            let lines = try await h.accessLines()
            #expect(lines.count == 4)
            #expect(lines.allSatisfy { $0["cache"] as? String == "aborted" && $0["bytes"] as? Int == 100 && $0["detail"] as? String == "upstream-error" })
        }
    }

    /// A leader whose upstream does not answer: its followers stop waiting at `coalesce_timeout` and fetch for
    /// themselves (`detail=timeout`), while the leader still waits.
    @Test func followersStopWaitingForASilentLeaderAtTheCoalesceTimeout() async throws {
        // 3 s: long enough for both followers to be seen waiting on a loaded machine, short for a test.
        try await withScriptedHarness(extra: "[cache]\ncoalesce_timeout = \"3s\"", script: { _ in [] }) { (h: ScriptedHarness) async throws in
            let clients = try await self.leaderAndFollowers(h, followers: 2)
            await h.upstream.wait { $0.requests.count == 3 }
            #expect(try await clients[0].text.isEmpty)
            for connection in [2, 3] {
                try await h.upstream.perform([.text(upstreamResponse(body: "own answer \(connection)"))], connection: connection)
            }
            for client in clients[1...] {
                try await client.waitForClose()
                let response = RawResponse(try await client.text)
                #expect(response.status == 200)
                #expect(response.body.hasPrefix("own answer"))
                #expect(response.headers["cache-status"]?.hasSuffix("detail=timeout") == true)
            }
            #expect(try await clients[0].text.isEmpty)
            try await h.upstream.perform([.text(upstreamResponse(body: "the leader's"))], connection: 1)
            try await clients[0].waitForClose()
            #expect(RawResponse(try await clients[0].text).body == "the leader's")
            #expect(h.metric("reprise_upstream_errors_total", []) == nil)
        }
    }

    // MARK: Every request is accounted for

    @Test func aClientThatLeavesMidResponseIsLoggedAsAborted() async throws {
        let part = String(repeating: "p", count: 1000)
        try await withScriptedHarness(script: { _ in [.text("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + part)] }) { (h: ScriptedHarness) async throws in
            let read = try await RawClient.abandon(port: h.server.port, bytes: "GET /long HTTP/1.1\r\nHost: a\r\n\r\n", after: 500)
            #expect(read >= 500)
            // The upstream call is cancelled: its connection is closed, not pooled.
            await h.upstream.wait { $0.closed == 1 }
            let lines = try await h.accessLines()
            #expect(lines.count == 1)
            #expect(lines.first?["cache"] as? String == "aborted")
            #expect(lines.first?["detail"] as? String == "client-closed")
            #expect(lines.first?["status"] as? Int == 200)
            #expect(lines.first?["bytes"] as? Int == 1000)
            #expect(h.metric("reprise_requests_total", [#"cache="aborted""#, #"status_class="2xx""#]) == 1)
            #expect(h.server.store.statistics.entries == 0)
            #expect(h.server.inFlight == 0)
        }
    }

    @Test func aClientThatLeavesBeforeTheHeadIsLoggedAsAborted() async throws {
        try await withScriptedHarness(script: { _ in [] }) { (h: ScriptedHarness) async throws in
            let client = try await InteractiveClient.connect(port: h.server.port)
            try await client.send("GET /never HTTP/1.1\r\nHost: a\r\n\r\n")
            await h.upstream.wait { $0.requests.count == 1 }
            try await client.close()
            await h.upstream.wait { $0.closed == 1 }
            let lines = try await h.accessLines()
            #expect(lines.count == 1)
            #expect(lines.first?["cache"] as? String == "aborted")
            #expect(lines.first?["detail"] as? String == "client-closed")
            #expect(lines.first?["status"] as? Int == 0)
            #expect(lines.first?["bytes"] as? Int == 0)
            #expect(h.metric("reprise_requests_total", [#"cache="aborted""#]) == 1)
            #expect(h.server.inFlight == 0)
        }
    }

    // MARK: Fleet mode

    /// With `[redis]`, a broken response writes nothing to L2 either (and a sound one does, once).
    @Test func nothingBrokenReachesL2() async throws {
        let redis = try await RedisServerProcess()
        defer { redis.kill() }
        let extra = "[redis]\nurl = \"redis://127.0.0.1:\(redis.port)/0\"\ncommand_timeout = \"5s\"\n"
        try await withScriptedHarness(extra: extra, script: { request in
            switch request.target {
            case "/split": return [.text(upstreamResponse(body: "hello") + upstreamResponse(body: "second"))]
            case "/cut": return [.text("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstart"), .close]
            default: return [.text(upstreamResponse(body: "sound"))]
            }
        }) { (h: ScriptedHarness) async throws in
            try await h.until("the instance joined the fleet", timeout: .seconds(15)) { h.server.fleet?.isHealthy == true }
            #expect(try await RawResponse(h.request("/split").text).status == 502)
            #expect(try await RawResponse(h.request("/cut").text).isTruncated)
            #expect(try await RawResponse(h.request("/sound").text).body == "sound")
            try await h.until("the sound response was written to L2") { h.server.fleet?.status.counters.l2Writes == 1 }
            #expect(h.server.fleet?.status.counters.l2WritesSkipped == 0)
            #expect(h.server.store.statistics.entries == 1)
        }
    }
}
