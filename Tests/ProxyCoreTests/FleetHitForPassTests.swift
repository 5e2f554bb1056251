import DemoUpstream
import Foundation
import NIOCore
import Testing

/// Hit-for-pass is this instance's memory of an unstorable response; it must not keep the instance from the fleet's L2,
/// where another instance may have stored a later, storable response for the key (a Kling task polled while it runs,
/// then done). Found by bench/book.sh: with the polls spread over three instances, no poll after a task finished was
/// answered from L2.
@Suite(.serialized) struct FleetHitForPassTests {
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "fleet-admin-token-0123456789"

        [redis]
        url = "redis://127.0.0.1:{REDIS}/0"
        command_timeout = "2s"

        [[upstream]]
        name = "kling"
        prefix = "/kling"
        url = "{UPSTREAM}"
        key_jwt_claim = { header = "Authorization", claim = "iss", secret = "demo-secret" }

        [[rule]]
        name = "kling-task"
        match = "GET /kling/v1/images/generations/*"
        ttl = "1d"
        store_if_json = { pointer = "/data/task_status", in = ["succeed", "failed"] }
        """

    @Test func aKeyPassedOnOneInstanceIsAnsweredFromL2OnceAnotherStoredIt() async throws {
        try await withFleet(Self.config) { fleet in
            func token(_ n: Int64) -> String { "Bearer " + DemoUpstream.klingToken(accessKey: "AK-fleet", validFor: 1800 + n) }
            let created = try await fleet.a.request(
                .POST, "/kling/v1/images/generations",
                headers: [("authorization", token(0)), ("content-type", "application/json")],
                body: ByteBuffer(string: #"{"prompt":"a fox in a fleet","model_name":"kling-v1"}"#)
            )
            let json = try JSONSerialization.jsonObject(with: Data(created.text.utf8)) as? [String: Any]
            let task = try #require((json?["data"] as? [String: Any])?["task_id"] as? String)
            let poll = "/kling/v1/images/generations/\(task)"
            // Polls 1 and 2 run (not stored: A and B each remember the key as unstorable); poll 3 is done, on B.
            #expect(try await !fleet.a.get(poll, headers: [("authorization", token(1))]).isHit)
            #expect(try await !fleet.b.get(poll, headers: [("authorization", token(2))]).isHit)
            let done = try await fleet.b.get(poll, headers: [("authorization", token(3))])
            #expect(done.text.contains("succeed"))
            try await fleet.until("B wrote the finished task to L2") { fleet.b.server.fleet?.status.counters.l2Writes == 1 }
            // A's next poll: answered from L2, although A's last response for the key could not be stored.
            let fromL2 = try await fleet.a.get(poll, headers: [("authorization", token(4))])
            #expect(fromL2.isHit && fromL2.cacheStatus.contains("detail=l2"), "\(fromL2.cacheStatus)")
            #expect(fleet.upstream.requestCount("GET", "/v1/images/generations/\(task)") == 3)
        }
    }
}
