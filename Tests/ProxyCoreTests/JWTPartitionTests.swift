import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A credential partition is only as good as the credential: Kling routes partition on the JWT's `iss`, and a
/// token that fails verification (forged, unsigned, expired, not yet valid, of an unknown account, or on a route
/// without a secret) is forwarded untouched, never answered from the cache and never stored. Each attack runs
/// through the real listener against the demo Kling (which checks tokens with "demo-secret" on its own clock);
/// the proxy's clock is a `ManualClock`, so `exp` and `nbf` are judged without sleeping.
@Suite struct JWTPartitionTests {
    static let victim = "AK-victim"

    /// Three task rules (GET task, GET list, body-keyed POST) under `prefix`.
    static func rules(_ prefix: String, name: String) -> String {
        """

        [[rule]]
        name = "\(name)-task"
        match = "GET \(prefix)/v1/images/generations/*"
        ttl = "1d"
        store_if_json = { pointer = "/data/task_status", in = ["succeed", "failed"] }

        [[rule]]
        name = "\(name)-list"
        match = "GET \(prefix)/v1/images/generations"
        ttl = "1h"

        [[rule]]
        name = "\(name)-create"
        match = "POST \(prefix)/v1/images/generations"
        cache_body = true
        ttl = "1h"

        """
    }

    static let config = """
        [[upstream]]
        name = "kling"
        prefix = "/kling"
        url = "{UPSTREAM}"
        key_jwt_claim = { header = "Authorization", claim = "iss", secret = "demo-secret", leeway = "30s" }

        [[upstream]]
        name = "kling-accounts"
        prefix = "/kling-accounts"
        url = "{UPSTREAM}"
        key_jwt_claim.header = "Authorization"
        key_jwt_claim.claim = "iss"
        key_jwt_claim.secrets = { "AK-victim" = "demo-secret", "AK-idle" = "idle-secret" }

        [[upstream]]
        name = "kling-open"
        prefix = "/kling-open"
        url = "{UPSTREAM}"
        key_jwt_claim = { header = "Authorization", claim = "iss" }
        """
        + rules("/kling", name: "kling") + rules("/kling-accounts", name: "accounts") + rules("/kling-open", name: "open")

    static var options: DemoUpstream.Options {
        var options = DemoUpstream.Options()
        options.klingPollsUntilDone = 0  // the first poll is final, so it is stored at once
        return options
    }

    /// One way to present a token the proxy must not trust.
    struct Attack: CustomTestStringConvertible, Sendable {
        var name: String
        var prefix: String
        var detail: String
        /// Seconds the proxy's clock is moved for the attack request (and moved back after it).
        var shift: Double = 0
        /// The attack's `Authorization` value, given the proxy's time during the attack.
        var token: @Sendable (_ now: Int64) -> String
        var testDescription: String { self.name }
    }

    static let attacks: [Attack] = [
        Attack(name: "forged signature", prefix: "/kling", detail: "jwt-signature") { now in
            "Bearer "
                + DemoUpstream.klingToken(accessKey: victim, secret: "guessed", expires: now + 1800, notBefore: now - 5)
        },
        Attack(name: "alg none", prefix: "/kling", detail: "jwt-alg") { now in
            let header = Self.base64URL(#"{"alg":"none","typ":"JWT"}"#)
            let payload = Self.base64URL(#"{"iss":"\#(victim)","exp":\#(now + 1800),"nbf":\#(now - 5)}"#)
            return "Bearer \(header).\(payload)."
        },
        // The proxy's clock is an hour ahead: the token expired (beyond the 30 s leeway) for the proxy, while the
        // upstream, on the real clock, still accepts it and answers 200 — the answer that must not be stored.
        Attack(name: "expired beyond the leeway", prefix: "/kling", detail: "jwt-expired", shift: 3600) { now in
            "Bearer " + DemoUpstream.klingToken(accessKey: victim, expires: now - 31, notBefore: now - 3605)
        },
        // The proxy's clock is an hour behind: nbf lies in its future.
        Attack(name: "nbf in the future", prefix: "/kling", detail: "jwt-not-yet-valid", shift: -3600) { now in
            "Bearer " + DemoUpstream.klingToken(accessKey: victim, expires: now + 5400, notBefore: now + 3595)
        },
        // A valid signature under the upstream's secret, for an account `secrets` does not list.
        Attack(name: "unknown account", prefix: "/kling-accounts", detail: "jwt-unknown-account") { now in
            "Bearer " + DemoUpstream.klingToken(accessKey: "AK-stranger", expires: now + 1800, notBefore: now - 5)
        },
    ]

    // MARK: - Reads: GET task polls and lists

    @Test(arguments: Self.attacks)
    func aRejectedTokenNeitherReadsNorWritesAPartition(_ attack: Attack) async throws {
        let clock = ManualClock()
        try await withHarness(Self.config, clock: clock.wallClock, upstreamOptions: Self.options) { h in
            let client = KlingClient(h: h, clock: clock, prefix: attack.prefix)
            let task = try await client.create(prompt: "a fox reading a book under a \(attack.name) sky")
            let poll = "\(attack.prefix)/v1/images/generations/\(task)"
            let list = "\(attack.prefix)/v1/images/generations"
            // store_if_json: the head waits for the body, then says it was stored; the hit that follows shows it was.
            let stored = try await client.get(poll)
            #expect(stored.status == 200 && stored.cacheStatus.hasPrefix("Reprise; fwd=uri-miss"))
            #expect(stored.cacheStatus.contains("stored"), "\(stored.cacheStatus)")
            let hit = try await client.get(poll)
            #expect(hit.isHit && hit.body == stored.body)

            // The attack on the stored entry: forwarded untouched, never answered from the victim's entry.
            let polls = h.upstream.requestCount("GET", "/v1/images/generations/\(task)")
            clock.advance(by: attack.shift)
            let token = attack.token(Int64(clock.now))
            let attackRead = try await h.get(poll, headers: [("authorization", token)])
            #expect(!attackRead.isHit)
            #expect(attackRead.cacheStatus.hasPrefix("Reprise; fwd=bypass; fwd-status="))
            #expect(attackRead.cacheStatus.hasSuffix("; detail=\(attack.detail)"), "\(attackRead.cacheStatus)")
            #expect(h.upstream.requestCount("GET", "/v1/images/generations/\(task)") == polls + 1)
            let forwarded = h.upstream.lastRequestHeaders("/v1/images/generations/\(task)") ?? []
            #expect(forwarded.first { $0.0.lowercased() == "authorization" }?.1 == token)

            // The attack on an entry nobody stored yet: whatever the upstream answers is not stored.
            let attackList = try await h.get(list, headers: [("authorization", token)])
            #expect(!attackList.isHit && !attackList.cacheStatus.contains("stored"), "\(attackList.cacheStatus)")
            #expect(attackList.cacheStatus.hasSuffix("; detail=\(attack.detail)"))
            clock.advance(by: -attack.shift)

            // The real account: its own entry, as the upstream first answered it, and nothing the attack fetched.
            let clean = try await client.get(poll)
            #expect(clean.isHit && clean.body == stored.body, "\(clean.cacheStatus)")
            let cleanList = try await client.get(list)
            #expect(cleanList.status == 200 && cleanList.cacheStatus.hasPrefix("Reprise; fwd=uri-miss"))
            #expect(try await client.get(list).isHit)
        }
    }

    // MARK: - Body-keyed POSTs

    @Test(arguments: Self.attacks)
    func aRejectedTokenNeitherReplaysNorStoresAGeneration(_ attack: Attack) async throws {
        let clock = ManualClock()
        try await withHarness(Self.config, clock: clock.wallClock, upstreamOptions: Self.options) { h in
            let client = KlingClient(h: h, clock: clock, prefix: attack.prefix)
            let path = "\(attack.prefix)/v1/images/generations"
            let first = #"{"prompt":"a lighthouse (\#(attack.name))","model_name":"kling-v1"}"#
            let second = #"{"prompt":"a harbour (\#(attack.name))","model_name":"kling-v1"}"#
            let stored = try await client.post(path, body: first)
            #expect(stored.status == 200 && stored.cacheStatus.contains("stored"), "\(stored.cacheStatus)")

            let creates = h.upstream.requestCount("POST", "/v1/images/generations")
            clock.advance(by: attack.shift)
            let token = attack.token(Int64(clock.now))
            for body in [first, second] {
                let reply = try await h.request(
                    .POST, path, headers: [("authorization", token), ("content-type", "application/json")],
                    body: ByteBuffer(string: body)
                )
                #expect(!reply.isHit && !reply.cacheStatus.contains("stored"), "\(reply.cacheStatus)")
                #expect(reply.cacheStatus.hasPrefix("Reprise; fwd=bypass; fwd-status="))
                #expect(reply.cacheStatus.hasSuffix("; detail=\(attack.detail)"), "\(reply.cacheStatus)")
            }
            #expect(h.upstream.requestCount("POST", "/v1/images/generations") == creates + 2)
            clock.advance(by: -attack.shift)

            let replay = try await client.post(path, body: first)
            #expect(replay.isHit && replay.body == stored.body, "\(replay.cacheStatus)")
            let fresh = try await client.post(path, body: second)
            #expect(fresh.status == 200 && fresh.cacheStatus.hasPrefix("Reprise; fwd=uri-miss"), "\(fresh.cacheStatus)")
        }
    }

    // MARK: - No secret, and tokens without trouble

    @Test func withoutASecretTheRouteForwardsEverythingUncached() async throws {
        let clock = ManualClock()
        try await withHarness(Self.config, clock: clock.wallClock, upstreamOptions: Self.options) { h in
            let client = KlingClient(h: h, clock: clock, prefix: "/kling-open")
            let task = try await client.create(prompt: "an owl")
            let poll = "/kling-open/v1/images/generations/\(task)"
            for _ in 0..<2 {
                let reply = try await client.get(poll)
                #expect(reply.status == 200 && !reply.isHit)
                #expect(reply.cacheStatus == "Reprise; fwd=bypass; fwd-status=200; detail=jwt-no-secret")
            }
            #expect(h.upstream.requestCount("GET", "/v1/images/generations/\(task)") == 2)
            let created = try await client.post("/kling-open/v1/images/generations", body: #"{"prompt":"an owl"}"#)
            #expect(created.cacheStatus == "Reprise; fwd=bypass; fwd-status=200; detail=jwt-no-secret")
        }
    }

    @Test func twoAccountsOfOneSecretsTableKeepTheirOwnEntries() async throws {
        var options = Self.options
        options.klingJWTSecret = nil  // the demo upstream takes any signature; the proxy checks each account's own
        let clock = ManualClock()
        try await withHarness(Self.config, clock: clock.wallClock, upstreamOptions: options) { h in
            let victim = KlingClient(h: h, clock: clock, prefix: "/kling-accounts")
            let idle = KlingClient(
                h: h, clock: clock, prefix: "/kling-accounts", accessKey: "AK-idle", secret: "idle-secret")
            let list = "/kling-accounts/v1/images/generations"
            _ = try await victim.create(prompt: "a whale")
            let victimList = try await victim.get(list)
            #expect(victimList.cacheStatus.contains("stored"))
            let idleList = try await idle.get(list)
            #expect(!idleList.isHit && idleList.cacheStatus.contains("stored") && idleList.body != victimList.body)
            // The idle account's key does not sign for the victim's access key.
            let crossed = DemoUpstream.klingToken(
                accessKey: Self.victim, secret: "idle-secret", expires: Int64(clock.now) + 600,
                notBefore: Int64(clock.now))
            let attack = try await h.get(list, headers: [("authorization", "Bearer " + crossed)])
            #expect(!attack.isHit && attack.cacheStatus.hasSuffix("detail=jwt-signature"))
            #expect(try await victim.get(list).body == victimList.body)
        }
    }

    @Test func aTokenWithinTheLeewayStillReadsItsPartition() async throws {
        let clock = ManualClock()
        try await withHarness(Self.config, clock: clock.wallClock, upstreamOptions: Self.options) { h in
            let client = KlingClient(h: h, clock: clock, prefix: "/kling")
            let task = try await client.create(prompt: "a kite")
            let poll = "/kling/v1/images/generations/\(task)"
            let stored = try await client.get(poll)
            // Expired 20 s ago by the proxy's clock, within the 30 s leeway (and still valid for the upstream).
            clock.advance(by: 1820)
            let late = DemoUpstream.klingToken(
                accessKey: Self.victim, expires: Int64(clock.now) - 20, notBefore: Int64(clock.now) - 1825)
            let reply = try await h.get(poll, headers: [("authorization", "Bearer " + late)])
            #expect(reply.isHit && reply.body == stored.body, "\(reply.cacheStatus)")
        }
    }

    @Test func aTokenSentTwiceIsRejected() async throws {
        let clock = ManualClock()
        try await withHarness(Self.config, clock: clock.wallClock, upstreamOptions: Self.options) { h in
            let client = KlingClient(h: h, clock: clock, prefix: "/kling")
            let task = try await client.create(prompt: "a lantern")
            let poll = "/kling/v1/images/generations/\(task)"
            _ = try await client.get(poll)
            let twice = [("authorization", client.token()), ("authorization", client.token())]
            let reply = try await h.get(poll, headers: twice)
            #expect(!reply.isHit && reply.cacheStatus.hasSuffix("detail=jwt-malformed"), "\(reply.cacheStatus)")
        }
    }

    // MARK: - Helpers

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A Kling client that signs a fresh token for each call on the proxy's clock, as the Kling SDKs do.
struct KlingClient {
    let h: Harness
    let clock: ManualClock
    let prefix: String
    var accessKey = JWTPartitionTests.victim
    var secret = "demo-secret"

    func token() -> String {
        let now = Int64(self.clock.now)
        let token = DemoUpstream.klingToken(
            accessKey: self.accessKey, secret: self.secret, expires: now + 1800, notBefore: now - 5)
        return "Bearer " + token
    }

    func get(_ path: String) async throws -> Reply {
        try await self.h.get(path, headers: [("authorization", self.token())])
    }

    func post(_ path: String, body: String) async throws -> Reply {
        try await self.h.request(
            .POST, path, headers: [("authorization", self.token()), ("content-type", "application/json")],
            body: ByteBuffer(string: body)
        )
    }

    /// Creates a task and returns its id.
    func create(prompt: String) async throws -> String {
        let body = #"{"prompt":"\#(prompt)","model_name":"kling-v1"}"#
        let reply = try await self.post("\(self.prefix)/v1/images/generations", body: body)
        let json = try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any]
        return try #require((json?["data"] as? [String: Any])?["task_id"] as? String, "\(reply.status) \(reply.text)")
    }
}
