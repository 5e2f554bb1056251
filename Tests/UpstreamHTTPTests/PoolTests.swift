import NIOCore
import NIOHTTP1
import Testing
import UpstreamHTTP
import UpstreamTestSupport

/// The per-loop idle pool: connections leave it when the origin closes them, when they idle too long,
/// when it is full, and at shutdown.
@Suite struct PoolTests {
    /// Polls (via the event loop) until the loop's pool holds `count` idle connections.
    private func waitForIdleCount(_ count: Int, _ f: Fixture) async throws {
        while try await f.idleCount() != count {
            await Task.yield()
        }
    }

    @Test func anIdleConnectionClosedByTheOriginLeavesThePool() async throws {
        try await withFixture(script: { request in
            [.text(response(body: "from \(request.connection)")), .close]
        }) { (f: Fixture) async throws in
            #expect(try await f.client.run(request("/a"), on: f.loop).text == "from 1")
            await f.server.wait { $0.closed == 1 }
            try await self.waitForIdleCount(0, f)
            let next = try await f.client.run(request("/b"), on: f.loop)
            #expect(next.error == nil)
            #expect(next.text == "from 2")
        }
    }

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await withFixture(configure: { $0.idleTimeout = .milliseconds(100) }, script: { request in
            [.text(response(body: "from \(request.connection)"))]
        }) { (f: Fixture) async throws in
            #expect(try await f.client.run(request("/a"), on: f.loop).text == "from 1")
            await f.server.wait { $0.closed == 1 }
            try await self.waitForIdleCount(0, f)
            #expect(try await f.client.run(request("/b"), on: f.loop).text == "from 2")
        }
    }

    /// Leaving the pool leaves the idle timer scheduled (issue 18); a connection pooled again is still closed once it
    /// has idled for the whole timeout. (The second request normally reuses the first connection; on a machine slow
    /// enough that the first was closed in between, it takes a new one: either way every connection ends closed.)
    @Test func aConnectionPooledAgainIsClosedAfterTheIdleTimeout() async throws {
        try await withFixture(configure: { $0.idleTimeout = .seconds(1) }, script: { request in
            [.text(response(body: "from \(request.connection)"))]
        }) { (f: Fixture) async throws in
            #expect(try await f.client.run(request("/a"), on: f.loop).error == nil)
            #expect(try await f.client.run(request("/b"), on: f.loop).error == nil)
            await f.server.wait { $0.closed == $0.accepted }
            try await self.waitForIdleCount(0, f)
        }
    }

    @Test func connectionsBeyondTheIdleLimitAreClosed() async throws {
        try await withFixture(configure: { $0.maxIdlePerEventLoop = 1 }, script: { request in
            [.text(response(body: "from \(request.connection)"))]
        }) { (f: Fixture) async throws in
            let client = f.client
            let loop = f.loop
            // Both calls start in the same loop tick, before either has a connection: two connections.
            let done = try await loop.submit {
                let first = RecordingHandler(eventLoop: loop)
                let second = RecordingHandler(eventLoop: loop)
                _ = client.execute(request("/1"), body: .none, on: loop, handler: first)
                _ = client.execute(request("/2"), body: .none, on: loop, handler: second)
                return [first.done.futureResult, second.done.futureResult]
            }.get()
            for future in done {
                #expect(try await future.get().error == nil)
            }
            #expect(f.server.record.accepted == 2)
            await f.server.wait { $0.closed == 1 }
            #expect(try await f.idleCount() == 1)
        }
    }

    @Test func shutdownClosesIdleConnectionsAndFailsLaterCalls() async throws {
        try await withFixture(script: { _ in [.text(response(body: "ok"))] }) { (f: Fixture) async throws in
            #expect(try await f.client.run(request("/a"), on: f.loop).text == "ok")
            #expect(try await f.idleCount() == 1)
            await f.client.shutdown()
            await f.server.wait { $0.closed == 1 }
            #expect(try await f.idleCount() == 0)
            let late = try await f.client.run(request("/b"), on: f.loop)
            #expect(late.error?.kind == .shutdown)
            #expect(late.order == ["failed"])
            #expect(f.server.record.requests.count == 1)
        }
    }

    @Test func aFailureOnAReusedConnectionIsNotRetried() async throws {
        try await withFixture(script: { request in
            request.target == "/drop" ? [.close] : [.text(response(body: "ok"))]
        }) { (f: Fixture) async throws in
            #expect(try await f.client.run(request("/a"), on: f.loop).text == "ok")
            let dropped = try await f.client.run(request("/drop"), on: f.loop)
            #expect(dropped.error?.kind == .unreachable)
            #expect(dropped.error?.reusedConnection == true)
            #expect(f.server.record.requests.map(\.target) == ["/a", "/drop"])
            #expect(f.server.record.accepted == 1)
        }
    }
}
