import AsyncHTTPClient
import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import ProxyConfig
import Observability
import Testing

@testable import ProxyCore

/// Issue 16, points 1 and 2 end to end: `Reprise-Cost` on a miss and on the hit that follows, and the ledger per
/// credential partition after known traffic from two keys (`GET /partitions`), kept across a reload.
@Suite struct LedgerTests {
    static let token = "ledger-admin-token-0123"
    static let secret = "ledger-test-secret-0123456789"
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "\(token)"

        [cache]
        key_secret = "\(secret)"

        [[upstream]]
        name = "elevenlabs"
        prefix = "/elevenlabs"
        url = "{UPSTREAM}"
        key_headers = ["xi-api-key"]

        [[upstream]]
        name = "gemini"
        prefix = "/gemini"
        url = "{UPSTREAM}"
        key_headers = ["x-goog-api-key"]

        [[rule]]
        name = "tts"
        match = "POST /elevenlabs/v1/text-to-speech/*"
        cache_body = true
        ttl = "30d"
        cost_header = "character-cost"
        cost_price = 0.0003
        hit_drop_headers = ["character-cost"]

        [[rule]]
        name = "gemini"
        match = "POST /gemini/*/models/*"
        cache_body = true
        ttl = "7d"
        cost_json = "/usageMetadata/totalTokenCount"
        cost_last_event = "/usageMetadata/totalTokenCount"
        """

    static let voice = "21m00Tcm4TlvDq8ikWAM"

    static func tts(_ h: Harness, text: String, key: String) async throws -> Reply {
        try await h.request(
            .POST, "/elevenlabs/v1/text-to-speech/\(Self.voice)",
            headers: [("xi-api-key", key), ("content-type", "application/json")],
            body: ByteBuffer(string: #"{"text":"\#(text)","model_id":"m"}"#)
        )
    }

    static func partitions(_ h: Harness, query: String = "") async throws -> [String: Any] {
        let reply = try await h.admin(.GET, "/partitions\(query)", token: Self.token)
        #expect(reply.status == 200, "\(reply.text)")
        return try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
    }

    @Test func theCostFieldSaysBilledOnTheMissAndSavedOnTheHit() async throws {
        try await withHarness(Self.config) { h in
            let miss = try await Self.tts(h, text: "Once upon a time", key: "key-A")
            #expect(miss.headers.first(name: "reprise-cost") == #"billed; units=16; amount="0.0048""#)
            let hit = try await Self.tts(h, text: "Once upon a time", key: "key-A")
            #expect(hit.isHit)
            #expect(hit.headers.first(name: "reprise-cost") == #"saved; units=16; amount="0.0048""#)
            #expect(hit.headers.first(name: "character-cost") == nil)
        }
    }

    @Test(arguments: ["", "?alt=sse"])
    func aTokenCostIsReadFromTheBodyOrTheLastEvent(_ query: String) async throws {
        try await withHarness(Self.config) { h in
            func generate() async throws -> Reply {
                try await h.request(
                    .POST, "/gemini/v1beta/models/gemini-2.5-flash:generateContent\(query)",
                    headers: [("x-goog-api-key", "gk-1"), ("content-type", "application/json")],
                    body: ByteBuffer(string: #"{"contents":[{"parts":[{"text":"A fox"}]}],"generationConfig":{"seed":3}}"#)
                )
            }
            let miss = try await generate()
            let usage = try #require(
                (try JSONSerialization.jsonObject(with: Data(miss.text.utf8)) as? [String: Any])?["usageMetadata"]
                    as? [String: Any]
            )
            let tokens = try #require(usage["totalTokenCount"] as? Int)
            // A JSON answer's head waits for its body, so it carries the cost.
            #expect(miss.headers.first(name: "reprise-cost") == "billed; units=\(tokens)", "\(miss.cacheStatus)")
            #expect(miss.cacheStatus.contains("stored"))
            let hit = try await generate()
            #expect(hit.isHit)
            #expect(hit.headers.first(name: "reprise-cost") == "saved; units=\(tokens)")
        }
    }

    @Test func anEventStreamMissIsBilledWithoutUnitsAndItsHitSavesThem() async throws {
        try await withHarness(Self.config) { h in
            func stream() async throws -> Reply {
                try await h.request(
                    .POST, "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                    headers: [("x-goog-api-key", "gk-1"), ("content-type", "application/json")],
                    body: ByteBuffer(string: #"{"contents":[{"parts":[{"text":"A fox"}]}],"generationConfig":{"seed":3}}"#)
                )
            }
            let miss = try await stream()
            #expect(miss.headers.first(name: "reprise-cost") == "billed")
            let hit = try await stream()
            #expect(hit.isHit)
            let value = try #require(hit.headers.first(name: "reprise-cost"))
            #expect(value.hasPrefix("saved; units=") && value != "saved; units=0", "\(value)")
        }
    }

    @Test func theLedgerAddsUpTwoKeysSortedBySpendAndSurvivesAReload() async throws {
        try await withHarness(Self.config) { h in
            // key-A: one generation of 16 characters, replayed twice. key-B: two generations, 8 + 12 characters.
            _ = try await Self.tts(h, text: "Once upon a time", key: "key-A")
            #expect(try await Self.tts(h, text: "Once upon a time", key: "key-A").isHit)
            #expect(try await Self.tts(h, text: "Once upon a time", key: "key-A").isHit)
            _ = try await Self.tts(h, text: "Page two", key: "key-B")
            _ = try await Self.tts(h, text: "Page three!!", key: "key-B")

            let idA = PartitionID.of(key: "key-A", secret: Array(Self.secret.utf8))
            let idB = PartitionID.of(key: "key-B", secret: Array(Self.secret.utf8))
            let expected: [[String: String]] = [
                ["id": idB, "calls": "2", "hits": "0", "units_billed": "20", "units_saved": "0",
                    "amount_billed": "0.006", "amount_saved": "0"],
                ["id": idA, "calls": "3", "hits": "2", "units_billed": "16", "units_saved": "32",
                    "amount_billed": "0.0048", "amount_saved": "0.0096"],
            ]
            func rows(_ object: [String: Any]) -> [[String: String]] {
                (object["partitions"] as? [[String: Any]] ?? []).map { $0.mapValues { "\($0)" } }
            }
            let all = try await Self.partitions(h)
            #expect(rows(all) == expected)
            #expect(all["scope"] as? String == "instance" && all["total"] as? Int == 2)
            // Never the key, nor the full HMAC.
            let text = try await h.admin(.GET, "/partitions", token: Self.token).text
            #expect(!text.contains("key-A") && !text.contains("key-B"))

            // Paged: one row, then the next from the cursor.
            let first = try await Self.partitions(h, query: "?limit=1")
            #expect(rows(first) == [expected[0]] && first["next_cursor"] as? String == "1")
            let second = try await Self.partitions(h, query: "?limit=1&cursor=1")
            #expect(rows(second) == [expected[1]] && second["next_cursor"] is NSNull)
            #expect(try await h.admin(.GET, "/partitions?limit=0", token: Self.token).status == 400)
            #expect(try await h.admin(.GET, "/partitions").status == 401)

            // A reload keeps the ledger.
            try h.server.reload(h.server.configuration)
            #expect(rows(try await Self.partitions(h)) == expected)

            // Prometheus: per rule, billed or saved; never a partition.
            let metrics = try await h.admin(.GET, "/metrics", token: Self.token).text
            #expect(metrics.contains(#"reprise_cost_units_total{rule="tts",kind="billed"} 36"#), "\(metrics)")
            #expect(metrics.contains(#"reprise_cost_units_total{rule="tts",kind="saved"} 32"#))
            #expect(!metrics.contains(idA) && !metrics.contains(idB))
        }
    }

    @Test func aKeyIDIsTheEndOfItsPartitionHMAC() {
        let hasher = CredentialHasher(secret: Array(Self.secret.utf8))
        let partition = hasher.partition([(label: "xi-api-key", values: ["key-A"])])
        #expect(PartitionID.of(key: "key-A", secret: Array(Self.secret.utf8)) == String(partition.suffix(12)))
        #expect(Ledger.id(of: CredentialHasher.anonymous) == "-")
    }
}
