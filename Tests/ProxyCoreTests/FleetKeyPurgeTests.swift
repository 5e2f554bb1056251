import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// `POST /purge {"keys": [ID]}` across a fleet (issue 14): one instance's admin purge by `Reprise-Cache-Key` drops
/// the entry in its L1, in Redis (through the key's index set) and in the other instance's L1, and both instances
/// name the same entry the same way (the fleet agreed on one secret).
@Suite(.serialized) struct FleetKeyPurgeTests {
    @Test func aPurgeByKeyReachesL2AndTheOtherInstance() async throws {
        try await withFleet { fleet in
            let key = FleetTests.key
            let first = try await fleet.a.get("/api/v1/tts/voices", headers: key)
            let id = try #require(first.headers.first(name: "reprise-cache-key"))
            try await fleet.until("A wrote the entry to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }
            let fromL2 = try await fleet.b.get("/api/v1/tts/voices", headers: key)
            #expect(fromL2.cacheStatus.contains("detail=l2"))
            #expect(fromL2.headers.first(name: "reprise-cache-key") == id)
            // Another entry that must survive.
            _ = try await fleet.a.get("/test/cache?size=5", headers: key)

            let purged = try await fleet.b.admin(.POST, "/purge", token: FleetTests.token, body: #"{"keys":["\#(id)"]}"#)
            #expect(purged.status == 200)
            #expect(purged.text.contains(#""purged":1"#), "\(purged.text)")
            #expect(purged.text.contains(#""purged_l2":1"#), "\(purged.text)")
            #expect(purged.text.contains(#""acknowledged":1"#), "\(purged.text)")

            // Gone from A's L1 and from Redis: A goes upstream again.
            let again = try await fleet.a.get("/api/v1/tts/voices", headers: key)
            #expect(!again.isHit)
            #expect(fleet.upstream.requestCount("GET", "/api/v1/tts/voices") == 2)
            #expect(try await fleet.a.get("/test/cache?size=5", headers: key).isHit)
        }
    }
}
