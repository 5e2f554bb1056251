import CacheStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RedisClient
import RedisTestSupport
import Testing

@testable import RedisCache

/// An L2 write refused because the fleet-wide purge sequence moved during its fetch is retried at the new number
/// once this instance holds every purge up to it and none selects the entry, more than once: the sequence moves with
/// every purge anywhere in the fleet, so the next unrelated purge often lands between a retry's check and its write.
@Suite(.serialized) struct FleetWriteRetryTests {
    static func withFleet(_ body: (RedisFleet) async throws -> Void) async throws {
        let server = try await RedisServerProcess()
        defer { server.kill() }
        let fleet = RedisFleet(
            options: RedisFleet.Options(
                redis: RedisConfiguration(port: server.port, connectTimeout: .seconds(5), commandTimeout: .seconds(5)),
                keyPrefix: "retry:",
                maxObject: 1 << 20,
                ackTimeout: .seconds(5)
            ),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "fleet-retry-test")
        )
        fleet.setHooks(RedisFleet.Hooks(applyRemote: { _ in }, dropLocal: { _ in }, patternMatches: { _, _ in false }))
        fleet.start()
        // Ready: connected, subscribed and the purge sequence read (a deadline, not a sleep).
        let deadline = ContinuousClock.now + .seconds(10)
        while !(fleet.isHealthy && fleet.fetchSequence != nil) {
            guard ContinuousClock.now < deadline else { throw RedisClientError.notConnected }
            try await Task.sleep(for: .milliseconds(5))
        }
        do {
            try await body(fleet)
        } catch {
            try? await fleet.shutdown().get()
            throw error
        }
        try await fleet.shutdown().get()
    }

    @Test func aWriteRefusedByUnrelatedPurgesIsRetriedUntilItLands() async throws {
        try await Self.withFleet { fleet in
            let entry = L2StoreTests.entry(path: "/v1/voices", tags: ["voices"])
            let fetchBegan = try #require(fleet.fetchSequence)
            // An unrelated purge during the fetch: the first write is refused.
            _ = try await fleet.invalidate([Purge(.tag("kling-task-1"))]).get()
            // And another one between the retry's check and its write: the first retry is refused too.
            let checks = NIOLockedValueBox(0)
            let written = fleet.store(entry, traits: EntryTraits(), token: fetchBegan, now: L2StoreTests.now) {
                let check = checks.withLockedValue { count -> Int in
                    count += 1
                    return count
                }
                if check == 1 { _ = fleet.invalidate([Purge(.tag("kling-task-2"))]) }
                return true
            }
            #expect(try await written?.get() == true)
            #expect(checks.withLockedValue { $0 } == 2)
            let read = try await fleet.lookup(key: entry.key).get()
            #expect(read?.entry.key == entry.key)
        }
    }

    @Test func aWriteThatAPurgeSelectsIsNotRetried() async throws {
        try await Self.withFleet { fleet in
            let entry = L2StoreTests.entry(path: "/v1/voices", tags: ["voices"])
            let fetchBegan = try #require(fleet.fetchSequence)
            _ = try await fleet.invalidate([Purge(.tag("voices"))]).get()
            // The instance's journal says the purge selects it.
            let written = fleet.store(entry, traits: EntryTraits(), token: fetchBegan, now: L2StoreTests.now) { false }
            #expect(try await written?.get() == false)
            #expect(try await fleet.lookup(key: entry.key).get() == nil)
        }
    }
}
