import Admin
import AsyncHTTPClient
import DemoUpstream
import Foundation
import Logging
import NIOCore
import NIOPosix
import ProxyConfig
import ProxyCore
import RESP
import RedisCache
import RedisClient
import RedisTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Cross-instance single flight (issue 17) end to end: two real instances on a real `redis-server`, an in-process
/// upstream whose `delay_ms` keeps a fetch in flight while the other instance asks for the same key.
@Suite(.serialized) struct FleetFlightFlowTests {
    /// Short deadlines: a lease of 300 ms, a coalesce_timeout of 5 s (`{TIMEOUT}`), commands bounded at 1 s.
    static func config(timeout: String = "5s", lease: String = "300ms", commandTimeout: String = "1s") -> String {
        """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "fleet-admin-token-0123456789"

        [cache]
        coalesce_timeout = "\(timeout)"

        [redis]
        url = "redis://127.0.0.1:{REDIS}/0"
        command_timeout = "\(commandTimeout)"
        coalesce_lease = "\(lease)"

        [[upstream]]
        name = "demo"
        prefix = "/"
        url = "{UPSTREAM}"

        [[rule]]
        name = "test"
        match = "GET /test/**"
        ttl = "1h"
        """
    }

    static let slow = "/test/cache?flight=1&delay_ms=400"

    func counters(_ h: Harness) -> RedisFleet.Counters {
        h.server.fleet?.status.counters ?? RedisFleet.Counters()
    }

    @Test func concurrentMissesOnTwoInstancesMakeOneUpstreamCall() async throws {
        try await withFleet(Self.config()) { fleet in
            let path = "/test/cache?flight=1&delay_ms=3000"
            let first = Task { try await fleet.a.get(path) }
            try await fleet.until("A's fetch reached the upstream") { fleet.upstream.requestCount("GET", "/test/cache") == 1 }
            // Two requests through B while A fetches: B's leader waits on A's lease, B's second request on B's leader.
            async let b1 = fleet.b.get(path)
            async let b2 = fleet.b.get(path)
            try await fleet.until("B waits on A's lease") { (fleet.b.server.fleet?.flights.watching ?? 0) == 1 }
            let (x, y) = try await (b1, b2)
            let a = try await first.value
            #expect(fleet.upstream.requestCount("GET", "/test/cache") == 1)
            for reply in [a, x, y] {
                #expect(reply.status == 200)
                #expect(reply.body == a.body)
                #expect(reply.headers.first(name: "x-request-number") == a.headers.first(name: "x-request-number"))
            }
            #expect([x, y].contains { $0.cacheStatus.contains("detail=l2") })
            #expect(self.counters(fleet.a).flightLed == 1)
            #expect(self.counters(fleet.b).flightCoalesced == 1)
            let stats = try await fleet.b.admin(.GET, "/stats", token: FleetTests.token).text
            #expect(stats.contains(#""single_flight":{"coalesced":1,"led":0,"takeovers":0,"fallbacks":0,"timeouts":0}"#))
            let metrics = try await fleet.b.admin(.GET, "/metrics", token: FleetTests.token).text
            #expect(metrics.contains(#"reprise_fleet_single_flight_total{event="coalesced"} 1"#))
        }
    }

    @Test func aResponseL2CannotHoldSendsTheWaitersUpstreamThemselves() async throws {
        try await withFleet(Self.config()) { fleet in
            let path = "/test/cache?cc=no-store&delay_ms=400"
            let first = Task { try await fleet.a.get(path) }
            try await fleet.until("A's fetch reached the upstream") { fleet.upstream.requestCount("GET", "/test/cache") == 1 }
            let b = try await fleet.b.get(path)
            #expect(try await first.value.status == 200)
            // B heard `pass` (not its coalesce_timeout of 5 s) and went upstream itself.
            #expect(b.status == 200 && !b.isHit)
            #expect(fleet.upstream.requestCount("GET", "/test/cache") == 2)
            #expect(self.counters(fleet.b).flightTimeouts == 0 && self.counters(fleet.b).flightCoalesced == 0)
        }
    }

    /// The lease a dead instance left behind (set here as it would be, never renewed): B takes over when it runs out.
    @Test func aLeaseLeftByADeadInstanceIsTakenOver() async throws {
        try await withFleet(Self.config(lease: "300ms")) { fleet in
            let key = try await self.learnKey(fleet, path: "/test/cache?flight=dead")
            _ = try await redisCommand(fleet.redis, ["SET", "reprise:f:" + key, "dead-instance", "PX", "300"])
            let b = try await fleet.b.get("/test/cache?flight=dead")
            #expect(b.status == 200 && !b.isHit)
            #expect(fleet.upstream.requestCount("GET", "/test/cache") == 2)
            #expect(self.counters(fleet.b).flightTakeovers == 1)
            #expect(self.counters(fleet.b).flightTimeouts == 0)
        }
    }

    /// A lease that outlives coalesce_timeout: the waiter goes upstream at the deadline, not at the lease's end.
    @Test func nobodyWaitsPastCoalesceTimeout() async throws {
        try await withFleet(Self.config(timeout: "300ms", lease: "300ms")) { fleet in
            let key = try await self.learnKey(fleet, path: "/test/cache?flight=stuck")
            _ = try await redisCommand(fleet.redis, ["SET", "reprise:f:" + key, "stuck-instance", "PX", "600000"])
            let b = try await fleet.b.get("/test/cache?flight=stuck")
            #expect(b.status == 200 && b.cacheStatus.contains("detail=timeout"))
            #expect(self.counters(fleet.b).flightTimeouts == 1)
        }
    }

    @Test func aLeaderWhoseClientLeftHandsOverToOneWaiter() async throws {
        try await withFleet(Self.config(timeout: "20s", lease: "20s")) { fleet in
            let path = "/test/cache?flight=gone&delay_ms=1000"
            // A's client sends the request and, once B waits on A's lease, leaves before the head: A cancels its
            // fetch and lets go of the lease (`failed`), long before the lease would run out.
            let leaving = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: fleet.a.server.port).get()
            try await leaving.writeAndFlush(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: books.example\r\n\r\n")).get()
            try await fleet.until("A's fetch reached the upstream") { fleet.upstream.requestCount("GET", "/test/cache") == 1 }
            let waiting = Task { try await fleet.b.get(path) }
            try await fleet.until("B waits on A's lease") { (fleet.b.server.fleet?.flights.watching ?? 0) == 1 }
            try await leaving.close()
            let b = try await waiting.value
            #expect(b.status == 200)
            #expect(fleet.upstream.requestCount("GET", "/test/cache") == 2)
            #expect(self.counters(fleet.b).flightTakeovers == 1)
        }
    }

    @Test func redisSlowFallsBackToLocalCoalescingWithoutAnError() async throws {
        try await withFleet(Self.config(commandTimeout: "200ms")) { fleet in
            // Redis stops answering for 3 s; every command of the instances times out at 200 ms.
            let sleeper = Task { try await redisCommand(fleet.redis, ["DEBUG", "SLEEP", "3"], timeout: .seconds(10)) }
            while await redisAnswers(fleet.redis) {}
            async let one = fleet.b.get("/test/cache?flight=slow-redis&delay_ms=100")
            async let two = fleet.b.get("/test/cache?flight=slow-redis&delay_ms=100")
            let (x, y) = try await (one, two)
            #expect(x.status == 200 && y.status == 200)
            // B's own coalescing still made one upstream call for both.
            #expect(fleet.upstream.requestCount("GET", "/test/cache") == 1)
            #expect(self.counters(fleet.b).flightFallbacks == 1)
            _ = try? await sleeper.value
        }
    }

    @Test func redisKilledWhileWaitingFallsBackAtOnce() async throws {
        try await withFleet(Self.config(timeout: "20s", lease: "20s")) { fleet in
            let path = "/test/cache?flight=killed&delay_ms=3000"
            let first = Task { try await fleet.a.get(path) }
            try await fleet.until("A's fetch reached the upstream") { fleet.upstream.requestCount("GET", "/test/cache") == 1 }
            let waiting = Task { try await fleet.b.get(path) }
            try await fleet.until("B waits on A's lease") { (fleet.b.server.fleet?.flights.watching ?? 0) == 1 }
            fleet.redis.kill()
            let b = try await waiting.value
            #expect(b.status == 200 && b.cacheStatus.contains("detail=fleet-fallback"))
            #expect(self.counters(fleet.b).flightFallbacks == 1)
            #expect(try await first.value.status == 200)
        }
    }

    @Test func aStaleEntryIsRefreshedOnceForTheWholeFleet() async throws {
        try await withFleet(Self.config()) { fleet in
            let path = "/test/cache?flight=swr&cc=max-age%3D0%2C%20stale-while-revalidate%3D600&delay_ms=3000"
            _ = try await fleet.a.get(path)
            try await fleet.until("A wrote the entry to L2") { self.counters(fleet.a).l2Writes == 1 }
            // A serves it stale and refreshes it in the background, holding the fleet's claim for the key.
            let staleA = try await fleet.a.get(path)
            #expect(staleA.cacheStatus.contains("fwd=stale"))
            try await fleet.until("A's refresh reached the upstream") { fleet.upstream.requestCount("GET", "/test/cache") == 2 }
            // B finds the same stale entry in L2, serves it, and does not refresh it again: it takes A's refresh.
            let staleB = try await fleet.b.get(path)
            #expect(staleB.cacheStatus.contains("fwd=stale"))
            try await fleet.until("B took A's refreshed entry") { self.counters(fleet.b).flightCoalesced == 1 }
            #expect(fleet.upstream.requestCount("GET", "/test/cache") == 2)
            #expect(self.counters(fleet.a).flightLed == 2)
            #expect(self.counters(fleet.b).flightLed == 0)
        }
    }

    /// A real instance (the `reprise` executable) killed with SIGKILL while it holds the claim on a key: the request
    /// waiting on another instance takes over once the dead instance's lease runs out, within coalesce_timeout.
    @Test func anInstanceKilledWhileHoldingALeaseIsTakenOver() async throws {
        let redis = try await RedisServerProcess()
        let upstream = DemoUpstream(options: .init())
        let upstreamPort = try await upstream.start()
        let text = Self.config(timeout: "5s", lease: "300ms")
            .replacingOccurrences(of: "{REDIS}", with: String(redis.port))
            .replacingOccurrences(of: "{UPSTREAM}", with: "http://127.0.0.1:\(upstreamPort)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-flight-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("proxy.conf")
        // The child has no admin listener, so the one port it prints is its proxy port.
        try text.split(separator: "\n").filter { !$0.hasPrefix("admin_") }.joined(separator: "\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let child = try ChildProxy(executable: try ChildProxy.executable(), config: file)
        var logger = Logger(label: "reprise-fleet-test")
        logger.logLevel = .critical
        let server = try ProxyServer(
            configuration: try ConfigLoader.parse(text, file: "fleet.conf", environment: [:]),
            logger: logger,
            threads: 1
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        func stop() async {
            child.killIfRunning()
            try? await client.shutdown()
            try? await server.shutdown()
            try? await upstream.shutdown()
            redis.kill()
            try? FileManager.default.removeItem(at: directory)
        }
        do {
            let childPort = try await child.waitForPort()
            try await server.start(admin: AdminAPI.mount)
            let b = Harness(upstream: upstream, server: server, client: client, host: "books.example")
            let fleet = Fleet(redis: redis, upstream: upstream, a: b, b: b)
            try await fleet.until("B joined the fleet") { server.fleet?.isHealthy == true }
            let path = "/test/cache?flight=killed-instance&delay_ms=2000"
            let toChild = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: childPort).get()
            try await toChild.writeAndFlush(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: books.example\r\n\r\n")).get()
            try await fleet.until("the child's fetch reached the upstream") { upstream.requestCount("GET", "/test/cache") == 1 }
            let waiting = Task { try await b.get(path) }
            try await fleet.until("B waits on the child's lease") { (server.fleet?.flights.watching ?? 0) == 1 }
            child.killIfRunning()
            let reply = try await waiting.value
            #expect(reply.status == 200)
            #expect(upstream.requestCount("GET", "/test/cache") == 2)
            let counters = server.fleet?.status.counters ?? RedisFleet.Counters()
            #expect(counters.flightTakeovers == 1 && counters.flightTimeouts == 0)
            try? await toChild.close()
        } catch {
            await stop()
            throw error
        }
        await stop()
    }

    /// A purge elsewhere in the fleet that does not select the entry (an admin purge of another tag) while A fetches
    /// does not keep A's response out of L2: A knows every purge since its fetch began and retries the write.
    @Test func anUnrelatedPurgeDuringAFetchDoesNotKeepItOutOfL2() async throws {
        try await withFleet(Self.config()) { fleet in
            let fetching = Task { try await fleet.a.get(Self.slow) }
            try await fleet.until("A's fetch reached the upstream") { fleet.upstream.requestCount("GET", "/test/cache") == 1 }
            let purge = try await fleet.b.admin(.POST, "/purge", token: FleetTests.token, body: #"{"tags":["unrelated"]}"#)
            #expect(purge.status == 200 && purge.text.contains("\"acknowledged\":1"))
            #expect(try await fetching.value.status == 200)
            try await fleet.until("A wrote the entry to L2") { self.counters(fleet.a).l2Writes == 1 }
            let b = try await fleet.b.get(Self.slow)
            #expect(b.cacheStatus.contains("hit") && b.cacheStatus.contains("detail=l2"))
            #expect(fleet.upstream.requestCount("GET", "/test/cache") == 1)
        }
    }

    /// Stores `path` through A, reads the cache key from its L2 entry's name, and deletes the entry.
    func learnKey(_ fleet: Fleet, path: String) async throws -> String {
        _ = try await fleet.a.get(path)
        try await fleet.until("A wrote the entry to L2") { self.counters(fleet.a).l2Writes == 1 }
        let names = try await redisCommand(fleet.redis, ["KEYS", "reprise:e:*"])
        guard let name = names.array?.first?.string else { throw HarnessError("no entry in L2") }
        _ = try await redisCommand(fleet.redis, ["DEL", name])
        return String(name.dropFirst("reprise:e:".count))
    }
}

/// One command on a fresh connection to the test's redis-server.
func redisCommand(_ server: RedisServerProcess, _ args: [String], timeout: TimeAmount = .seconds(5)) async throws -> RESPValue {
    var configuration = RedisConfiguration(host: "127.0.0.1", port: server.port)
    configuration.commandTimeout = timeout
    let connection = RedisConnection(
        configuration: configuration,
        eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
        logger: Logger(label: "fleet-flight-test", factory: { _ in SwiftLogNoOpLogHandler() })
    )
    connection.start()
    defer { connection.close() }
    let deadline = ContinuousClock.now + .seconds(10)
    while connection.state != .connected {
        guard ContinuousClock.now < deadline else { throw HarnessError("no connection to redis-server") }
        try await Task.sleep(for: .milliseconds(5))
    }
    return try await connection.send(args.map { ByteBuffer(string: $0) }).get()
}

/// Whether redis-server answers a PING within 100 ms.
func redisAnswers(_ server: RedisServerProcess) async -> Bool {
    (try? await redisCommand(server, ["PING"], timeout: .milliseconds(100)))?.string == "PONG"
}
