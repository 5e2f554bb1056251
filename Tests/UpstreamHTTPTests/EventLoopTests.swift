import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import UpstreamHTTP
import UpstreamTestSupport

/// Each call's connection and callbacks stay on the loop it was executed on, with one pool per loop.
@Suite struct EventLoopTests {
    @Test func callsOnTwoLoopsNeverCrossOver() async throws {
        try await withFixture(clientThreads: 2, script: { request in
            [.text("HTTP/1.1 103 Early Hints\r\n\r\n"), .text(response(body: "from \(request.connection)"))]
        }) { (f: Fixture) async throws in
            let loops = Array(f.clientGroup.makeIterator())
            #expect(loops.count == 2)
            var startedCalls: [StartedCall] = []
            for index in 0..<8 {
                startedCalls.append(try await f.client.start(request("/\(index)"), on: loops[index % 2]))
            }
            var bodies: [Int: Set<String>] = [0: [], 1: []]
            for (index, started) in startedCalls.enumerated() {
                let reply = try await started.done.get()
                #expect(reply.error == nil)
                #expect(reply.offLoopCallbacks == 0)
                #expect(reply.order.count == 4)
                bodies[index % 2]!.insert(reply.text)
            }
            // No connection served both loops.
            #expect(bodies[0]!.isDisjoint(with: bodies[1]!))
            let idleA = try await f.idleCount(on: loops[0])
            let idleB = try await f.idleCount(on: loops[1])
            #expect(idleA >= 1)
            #expect(idleB >= 1)
            #expect(idleA + idleB == f.server.record.accepted)
        }
    }

    @Test func aLoopOutsideTheGroupGetsItsOwnPool() async throws {
        let outside = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = outside.any()
        try await withFixture(script: { request in [.text(response(body: "from \(request.connection)"))] }) { (f: Fixture) async throws in
            let first = try await f.client.run(request("/a"), on: loop)
            #expect(first.offLoopCallbacks == 0)
            #expect(first.text == "from 1")
            #expect(try await f.client.run(request("/b"), on: loop).text == "from 1")
            #expect(try await f.idleCount(on: loop) == 1)
            #expect(try await f.idleCount() == 0)
            await f.client.shutdown()
            await f.server.wait { $0.closed == 1 }
            #expect(try await f.client.run(request("/c"), on: loop).error?.kind == .shutdown)
        }
        try await outside.shutdownGracefully()
    }
}
