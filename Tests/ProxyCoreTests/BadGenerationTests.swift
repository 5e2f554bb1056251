import AsyncHTTPClient
import DemoUpstream
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// Issue 16, point 3, end to end through the repository's own proxy.conf (`ShippedConfig`): every bad generation the
/// demo upstream sends on request (`Demo-Generation`) is served, never stored, and says why; the same request without
/// the bad case is then stored and replayed.
@Suite struct BadGenerationTests {
    static let story = #"{"contents":[{"role":"user","parts":[{"text":"A fox who reads"}]}],"generationConfig":{"seed":7}}"#
    static let key = ("x-goog-api-key", "gk-bad")

    struct Case: CustomTestStringConvertible, Sendable {
        var bad: String
        var method: String
        var query: String
        /// Why it is not stored: the access log's `detail`, and the `Cache-Status` detail unless `streams`.
        var reason: String
        /// An event stream: its head went out before its end, so only the access log can say why.
        var streams = false
        var testDescription: String { "\(self.method)\(self.query) \(self.bad)" }
    }

    static let cases: [Case] = [
        Case(bad: "safety", method: "generateContent", query: "", reason: "finish-reason"),
        Case(bad: "recitation", method: "generateContent", query: "", reason: "finish-reason"),
        Case(bad: "max-tokens", method: "generateContent", query: "", reason: "finish-reason"),
        Case(bad: "other", method: "generateContent", query: "", reason: "finish-reason"),
        Case(bad: "blocked", method: "generateContent", query: "", reason: "blocked"),
        Case(bad: "no-text", method: "generateContent", query: "", reason: "no-text"),
        Case(bad: "error", method: "generateContent", query: "", reason: "error-object"),
        // Without alt=sse a stream is one JSON array, judged on its last element.
        Case(bad: "max-tokens", method: "streamGenerateContent", query: "", reason: "finish-reason"),
        Case(bad: "no-final-event", method: "streamGenerateContent", query: "", reason: "finish-reason"),
        Case(bad: "safety", method: "streamGenerateContent", query: "?alt=sse", reason: "finish-reason", streams: true),
        Case(bad: "blocked", method: "streamGenerateContent", query: "?alt=sse", reason: "blocked", streams: true),
        // The stream ends cleanly without its final event: its last event has no finishReason.
        Case(bad: "no-final-event", method: "streamGenerateContent", query: "?alt=sse", reason: "finish-reason",
            streams: true),
    ]

    func generate(_ h: Harness, _ test: Case, bad: Bool) async throws -> Reply {
        try await h.request(
            .POST, "/gemini/v1beta/models/gemini-2.5-flash:\(test.method)\(test.query)",
            headers: [Self.key, ("content-type", "application/json")] + (bad ? [("demo-generation", test.bad)] : []),
            body: ByteBuffer(string: Self.story)
        )
    }

    @Test(arguments: cases) func aBadGeminiGenerationIsServedNeverStored(_ test: Case) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-bad-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let config = try ShippedConfig.text().replacingOccurrences(of: "access = \"off\"", with: "access = \"\(log.path)\"")
        try await withHarness(config) { h in
            let bad = try await self.generate(h, test, bad: true)
            #expect(bad.status == 200)
            #expect(!bad.cacheStatus.contains("stored"), "\(bad.cacheStatus)")
            if !test.streams { #expect(bad.cacheStatus.contains("detail=\(test.reason)"), "\(bad.cacheStatus)") }
            await h.server.flushAccessLog()
            let line = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
            #expect(line.contains("\"detail\":\"\(test.reason)\""), "\(line)")
            // The same request again: not answered from the bad take; the good one is stored and replayed.
            let good = try await self.generate(h, test, bad: false)
            #expect(!good.isHit, "\(good.cacheStatus)")
            #expect(good.status == 200)
            let again = try await self.generate(h, test, bad: false)
            #expect(again.isHit, "\(again.cacheStatus)")
            #expect(again.body == good.body)
            #expect(h.upstream.requestCount("POST", "/v1beta/models/gemini-2.5-flash:\(test.method)") == 2)
        }
    }

    @Test(arguments: [("empty", "too-small"), ("not-audio", "content-type")])
    func aBadSpeechAnswerIsServedNeverStored(bad: String, detail: String) async throws {
        try await withHarness(try ShippedConfig.text()) { h in
            let voice = "21m00Tcm4TlvDq8ikWAM"
            for stream in ["", "/stream"] {
                let path = "/elevenlabs/v1/text-to-speech/\(voice)\(stream)"
                func speak(_ extra: [(String, String)]) async throws -> Reply {
                    try await h.request(
                        .POST, path, headers: [("xi-api-key", "key-bad"), ("content-type", "application/json")] + extra,
                        body: ByteBuffer(string: #"{"text":"Bad take \#(stream)","model_id":"m"}"#)
                    )
                }
                let first = try await speak([("demo-generation", bad)])
                #expect(first.status == 200)
                #expect(!first.cacheStatus.contains("stored"), "\(first.cacheStatus)")
                if stream.isEmpty || bad == "not-audio" {
                    // Decided on the head (Content-Type, or Content-Length: 0).
                    #expect(first.cacheStatus.contains("detail=\(detail)"), "\(first.cacheStatus)")
                }
                let good = try await speak([])
                #expect(!good.isHit && good.body.readableBytes > 0, "\(good.cacheStatus)")
                #expect(try await speak([]).isHit)
            }
        }
    }

    @Test func aGoodGenerationSaysItWasStoredOnceItsBodyIsJudged() async throws {
        try await withHarness(try ShippedConfig.text()) { h in
            let test = Case(bad: "", method: "generateContent", query: "", reason: "")
            let first = try await self.generate(h, test, bad: false)
            #expect(first.cacheStatus.contains("stored; ttl="), "\(first.cacheStatus)")
            // The derived ETag of the stored body is not promised on a held head; the hit has it.
            let hit = try await self.generate(h, test, bad: false)
            #expect(hit.isHit)
        }
    }
}
