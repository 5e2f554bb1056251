import AsyncHTTPClient
import DemoUpstream
import Foundation
import Logging
import NIOConcurrencyHelpers
import ProxyConfig
import ProxyCore
import ServiceLifecycle
import Testing

/// `ProxyService` in a `ServiceGroup`, in process: what the group's graceful shutdown and cancellation do to the
/// proxy (the signals themselves are `ProcessSignalTests`).
@Suite struct ProxyServiceTests {
    struct Running {
        let server: ProxyServer
        let group: ServiceGroup
        let port: Int
        let finished: NIOLockedValueBox<Bool>
    }

    /// Runs a `ProxyService` (in front of `upstream`) in a group without signals until the group ends.
    func withService(
        upstream: DemoUpstream,
        shutdownTimeout: String,
        _ body: (Running, HTTPClient) async throws -> Void
    ) async throws {
        var logger = Logger(label: "service-test")
        logger.logLevel = .critical
        let configuration = try ConfigLoader.parse(
            ProcessSignalTests.config(upstreamPort: upstream.port, shutdownTimeout: shutdownTimeout),
            file: "test.conf"
        )
        let server = try ProxyServer(configuration: configuration, logger: logger, threads: 1)
        let (ports, portFeed) = AsyncStream<Int>.makeStream()
        let service = ProxyService(server: server) { server in portFeed.yield(server.port) }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [service], logger: logger))
        let finished = NIOLockedValueBox(false)
        let task = Task {
            defer { finished.withLockedValue { $0 = true } }
            try await group.run()
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HarnessError("the service never listened") }
        do {
            try await body(Running(server: server, group: group, port: port, finished: finished), client)
        } catch {
            task.cancel()
            try? await client.shutdown()
            throw error
        }
        // A no-op when the body already ended the group; otherwise the service must close at once.
        task.cancel()
        try await waitUntil(timeout: .seconds(15)) { finished.withLockedValue { $0 } }
        try await client.shutdown()
    }

    @Test func gracefulShutdownOfTheGroupDrainsARequestInFlightAndEndsTheService() async throws {
        let upstream = DemoUpstream()
        _ = try await upstream.start()
        try await withService(upstream: upstream, shutdownTimeout: "10s") { running, client in
            let slow = Task {
                try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(running.port)/test/slow?ms=500"), timeout: .seconds(30))
            }
            try await waitUntil { upstream.requestCount("GET", "/test/slow") == 1 }
            await running.group.triggerGracefulShutdown()
            try await waitUntil { !running.server.isAccepting }
            #expect(ConnectProbe.attempt(port: running.port) == .refused)
            let response = try await slow.value
            #expect(response.status == .ok)
            #expect(String(buffer: try await response.body.collect(upTo: 1 << 20)) == "slow 500")
            try await waitUntil { running.finished.withLockedValue { $0 } }
        }
        try await upstream.shutdown()
    }

    /// Cancellation (what the group escalates to) closes at once instead of waiting `shutdown_timeout`.
    @Test func cancellingTheGroupClosesWithoutWaitingForRequestsInFlight() async throws {
        let upstream = DemoUpstream()
        _ = try await upstream.start()
        try await withService(upstream: upstream, shutdownTimeout: "60s") { running, client in
            // Ends when the cancelled proxy closes its connection.
            _ = Task {
                try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(running.port)/test/hang"), timeout: .seconds(120))
            }
            try await waitUntil { upstream.requestCount("GET", "/test/hang") == 1 }
            #expect(running.server.inFlight == 1)
            await running.group.triggerGracefulShutdown()
            try await waitUntil { !running.server.isAccepting }
            // Draining: the hanging request holds the service (shutdown_timeout is 60 s) until the group is cancelled.
            #expect(!running.finished.withLockedValue { $0 })
        }
        // withService cancelled the group's task; it must end long before the 60 s shutdown_timeout.
        try await upstream.shutdown()
    }
}
