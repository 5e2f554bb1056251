import AsyncHTTPClient
import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import ProxyConfig
import Testing

@testable import ProxyCore

/// Issue 16, point 2 in fleet mode: two instances on a real `redis-server`; `GET /partitions` on either shows the
/// ledger of both, summed in Redis.
@Suite(.serialized) struct FleetLedgerTests {
    static let token = "fleet-ledger-token-0123456789"
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "\(token)"

        [cache]
        key_secret = "\(LedgerTests.secret)"

        [redis]
        url = "redis://127.0.0.1:{REDIS}/0"
        command_timeout = "5s"

        [[upstream]]
        name = "elevenlabs"
        prefix = "/elevenlabs"
        url = "{UPSTREAM}"
        key_headers = ["xi-api-key"]

        [[rule]]
        name = "tts"
        match = "POST /elevenlabs/v1/text-to-speech/*"
        cache_body = true
        ttl = "30d"
        cost_header = "character-cost"
        hit_drop_headers = ["character-cost"]
        """

    @Test func theFleetLedgerIsTheSumOfEveryInstance() async throws {
        try await withFleet(Self.config) { fleet in
            // A pays for key-A's generation; B replays it from L2 (saved); B pays for key-B's.
            _ = try await LedgerTests.tts(fleet.a, text: "Once upon a time", key: "key-A")
            try await fleet.until("A wrote the audio to L2") { fleet.a.server.fleet?.status.counters.l2Writes == 1 }
            let replay = try await LedgerTests.tts(fleet.b, text: "Once upon a time", key: "key-A")
            #expect(replay.isHit && replay.headers.first(name: "reprise-cost") == "saved; units=16")
            _ = try await LedgerTests.tts(fleet.b, text: "Page two", key: "key-B")

            let idA = PartitionID.of(key: "key-A", secret: Array(LedgerTests.secret.utf8))
            let idB = PartitionID.of(key: "key-B", secret: Array(LedgerTests.secret.utf8))
            let expected: [[String: String]] = [
                ["id": idA, "calls": "2", "hits": "1", "units_billed": "16", "units_saved": "16",
                    "amount_billed": "0", "amount_saved": "0"],
                ["id": idB, "calls": "1", "hits": "0", "units_billed": "8", "units_saved": "0",
                    "amount_billed": "0", "amount_saved": "0"],
            ]
            // Each instance adds its rows to Redis once a second (and before it answers /partitions): both answer
            // with the fleet's sum once the other instance's flush ran.
            for instance in [fleet.a, fleet.b] {
                var rows: [[String: String]] = []
                let deadline = ContinuousClock.now + .seconds(15)
                while rows != expected, ContinuousClock.now < deadline {
                    let reply = try await instance.admin(.GET, "/partitions", token: Self.token)
                    let object = try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any]
                    #expect(object?["scope"] as? String == "fleet")
                    rows = (object?["partitions"] as? [[String: Any]] ?? []).map { $0.mapValues { "\($0)" } }
                    if rows != expected { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(rows == expected)
            }
        }
    }
}
