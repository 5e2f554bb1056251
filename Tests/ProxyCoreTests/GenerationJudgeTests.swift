import NIOCore
import NIOHTTP1
import Observability
import ProxyConfig
import Testing

@testable import ProxyCore

/// Table tests of `GenerationJudge` under the repository's own proxy.conf rules: every reason a 200 is served but
/// not stored (issue 16, point 3), and every way a cost is read (point 1).
@Suite struct GenerationJudgeTests {
    static let shipped: ProxyConfiguration = {
        let text = try! ShippedConfig.text().replacingOccurrences(of: "{UPSTREAM}", with: "http://127.0.0.1:1")
        return try! ConfigLoader.parse(text)
    }()

    static func rule(_ name: String) -> RuleSettings {
        Self.shipped.rules.first { $0.name == name }!
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var rule: String
        var contentType: String?
        var body: String
        /// nil: the response is stored.
        var reason: String?
        var contentLength = true
        var testDescription: String { self.name }
    }

    static func gemini(_ candidate: String, extra: String = "") -> String {
        #"{"candidates":[\#(candidate)],"usageMetadata":{"promptTokenCount":4,"totalTokenCount":40}\#(extra)}"#
    }

    static let good = #"{"content":{"parts":[{"text":"Once upon a time"}],"role":"model"},"finishReason":"STOP"}"#
    static let json = "application/json; charset=UTF-8"
    static let sse = "text/event-stream"

    static func event(_ json: String) -> String { "data: \(json)\r\n\r\n" }

    static let cases: [Case] = [
        Case(name: "gemini: a finished generation", rule: "gemini-generate", contentType: json, body: gemini(good)),
        Case(
            name: "gemini: finishReason SAFETY", rule: "gemini-generate", contentType: json,
            body: gemini(#"{"content":{"role":"model"},"finishReason":"SAFETY"}"#), reason: "finish-reason"),
        Case(
            name: "gemini: finishReason RECITATION", rule: "gemini-generate", contentType: json,
            body: gemini(#"{"content":{"role":"model"},"finishReason":"RECITATION"}"#), reason: "finish-reason"),
        Case(
            name: "gemini: finishReason MAX_TOKENS", rule: "gemini-generate", contentType: json,
            body: gemini(#"{"content":{"parts":[{"text":"Once"}]},"finishReason":"MAX_TOKENS"}"#),
            reason: "finish-reason"),
        Case(
            name: "gemini: finishReason OTHER", rule: "gemini-generate", contentType: json,
            body: gemini(#"{"content":{"parts":[{"text":"Once"}]},"finishReason":"OTHER"}"#), reason: "finish-reason"),
        Case(
            name: "gemini: no finishReason at all", rule: "gemini-generate", contentType: json,
            body: gemini(#"{"content":{"parts":[{"text":"Once"}]}}"#), reason: "finish-reason"),
        Case(
            name: "gemini: a blocked prompt", rule: "gemini-generate", contentType: json,
            body: #"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"totalTokenCount":4}}"#,
            reason: "blocked"),
        Case(
            name: "gemini: blockReason beside a candidate", rule: "gemini-generate", contentType: json,
            body: gemini(good, extra: #","promptFeedback":{"blockReason":"OTHER"}"#), reason: "blocked"),
        Case(
            name: "gemini: a candidate with empty text", rule: "gemini-generate", contentType: json,
            body: gemini(#"{"content":{"parts":[{"text":""}]},"finishReason":"STOP"}"#), reason: "no-text"),
        Case(
            name: "gemini: a candidate without parts", rule: "gemini-generate", contentType: json,
            body: gemini(#"{"content":{"role":"model"},"finishReason":"STOP"}"#), reason: "no-text"),
        Case(
            name: "gemini: an error object in a 200", rule: "gemini-generate", contentType: json,
            body: #"{"error":{"code":500,"message":"Internal","status":"INTERNAL"}}"#, reason: "error-object"),
        Case(name: "gemini: not JSON", rule: "gemini-generate", contentType: json, body: "<html>", reason: "not-json"),
        Case(name: "gemini: an HTML page", rule: "gemini-generate", contentType: "text/html", body: "<html>",
            reason: "content-type"),
        Case(name: "gemini: no Content-Type", rule: "gemini-generate", contentType: nil, body: gemini(good),
            reason: "content-type"),
        Case(
            name: "gemini stream as a JSON array: judged on its last element", rule: "gemini-generate",
            contentType: json, body: "[\(gemini(#"{"content":{"parts":[{"text":"a"}]}}"#)),\(gemini(good))]"),
        Case(
            name: "gemini stream as a JSON array ending in MAX_TOKENS", rule: "gemini-generate", contentType: json,
            body: "[\(gemini(good)),\(gemini(#"{"content":{"parts":[{"text":"b"}]},"finishReason":"MAX_TOKENS"}"#))]",
            reason: "finish-reason"),
        Case(name: "gemini stream as an empty JSON array", rule: "gemini-generate", contentType: json, body: "[]",
            reason: "not-json"),
        Case(
            name: "gemini SSE: judged on the last event", rule: "gemini-generate", contentType: sse,
            body: event(gemini(#"{"content":{"parts":[{"text":"Once"}]}}"#)) + event(gemini(good)),
            contentLength: false),
        Case(
            name: "gemini SSE: LF line ends", rule: "gemini-generate", contentType: sse,
            body: "data: \(gemini(#"{"content":{"parts":[{"text":"a"}]}}"#))\n\ndata: \(gemini(good))\n\n",
            contentLength: false),
        Case(
            name: "gemini SSE: the last event says SAFETY", rule: "gemini-generate", contentType: sse,
            body: event(gemini(good)) + event(gemini(#"{"content":{"role":"model"},"finishReason":"SAFETY"}"#)),
            reason: "finish-reason", contentLength: false),
        Case(
            name: "gemini SSE: a stream without its final event", rule: "gemini-generate", contentType: sse,
            body: event(gemini(#"{"content":{"parts":[{"text":"Once"}]}}"#)), reason: "finish-reason",
            contentLength: false),
        Case(
            name: "gemini SSE: the final event not ended by a blank line", rule: "gemini-generate", contentType: sse,
            body: event(gemini(#"{"content":{"parts":[{"text":"a"}]}}"#)) + "data: \(gemini(good))\r\n",
            reason: "finish-reason", contentLength: false),
        Case(name: "gemini SSE: no event at all", rule: "gemini-generate", contentType: sse, body: ": ping\r\n\r\n",
            reason: "no-final-event", contentLength: false),
        Case(name: "gemini SSE: an event that is not JSON", rule: "gemini-generate", contentType: sse,
            body: "data: [DONE]\r\n\r\n", reason: "no-final-event", contentLength: false),
        Case(
            name: "gemini SSE: blocked on the last event", rule: "gemini-generate", contentType: sse,
            body: event(#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}"#), reason: "blocked",
            contentLength: false),
        Case(name: "countTokens: a count", rule: "gemini-count-tokens", contentType: json, body: #"{"totalTokens":12}"#),
        Case(name: "countTokens: an error object", rule: "gemini-count-tokens", contentType: json,
            body: #"{"error":{"code":500}}"#, reason: "error-object"),
        Case(name: "tts: audio", rule: "elevenlabs-tts", contentType: "audio/mpeg", body: "ID3\u{3}audio"),
        Case(name: "tts: an empty 200", rule: "elevenlabs-tts", contentType: "audio/mpeg", body: "", reason: "too-small"),
        Case(name: "tts stream: an empty chunked 200", rule: "elevenlabs-tts-stream", contentType: "audio/mpeg",
            body: "", reason: "too-small", contentLength: false),
        Case(name: "tts: an HTML page", rule: "elevenlabs-tts", contentType: "text/html; charset=utf-8", body: "<html>",
            reason: "content-type"),
        Case(name: "tts: JSON", rule: "elevenlabs-tts", contentType: "application/json", body: "{}",
            reason: "content-type"),
        Case(name: "kling: a finished task", rule: "kling-image-task", contentType: json,
            body: #"{"code":0,"data":{"task_status":"succeed"}}"#),
        Case(name: "kling: a task still running", rule: "kling-image-task", contentType: json,
            body: #"{"code":0,"data":{"task_status":"processing"}}"#, reason: "task-running"),
        Case(name: "kling: an error code", rule: "kling-image-task", contentType: json,
            body: #"{"code":1000,"message":"Authentication failed"}"#, reason: "error-object"),
    ]

    @Test(arguments: cases) func storedOrWhyNot(_ test: Case) {
        let rule = Self.rule(test.rule)
        var headers = HTTPHeaders()
        if let type = test.contentType { headers.add(name: "content-type", value: type) }
        if test.contentLength { headers.add(name: "content-length", value: String(test.body.utf8.count)) }
        let reason = GenerationJudge.headVerdict(rule.storeIf, headers: headers)
            ?? GenerationJudge.judge(rule, headers: headers, body: [ByteBuffer(string: test.body)], headUnits: nil).reason
        #expect(reason?.token == test.reason)
    }

    // MARK: - Cost

    struct CostCase: CustomTestStringConvertible, Sendable {
        var name: String
        var cost: CostSettings
        var headers: [(String, String)]
        var body: String
        var units: Int?
        var testDescription: String { self.name }
    }

    static let costCases: [CostCase] = [
        CostCase(name: "header", cost: CostSettings(header: "character-cost"), headers: [("character-cost", "16")],
            body: "", units: 16),
        CostCase(name: "header missing", cost: CostSettings(header: "character-cost"), headers: [], body: "", units: nil),
        CostCase(name: "header not a number", cost: CostSettings(header: "character-cost"),
            headers: [("character-cost", "16.5")], body: "", units: nil),
        CostCase(name: "fixed", cost: CostSettings(fixed: 1), headers: [], body: "", units: 1),
        CostCase(name: "JSON pointer", cost: CostSettings(jsonPointers: ["/usageMetadata/totalTokenCount"]),
            headers: [("content-type", "application/json")], body: gemini(good), units: 40),
        CostCase(
            name: "prompt and candidate tokens apart, summed",
            cost: CostSettings(jsonPointers: ["/usageMetadata/promptTokenCount", "/u/candidatesTokenCount"]),
            headers: [("content-type", "application/json")],
            body: #"{"usageMetadata":{"promptTokenCount":4},"u":{"candidatesTokenCount":30}}"#, units: 34),
        CostCase(name: "JSON pointer on a JSON array: the last element",
            cost: CostSettings(jsonPointers: ["/usageMetadata/totalTokenCount"]),
            headers: [("content-type", "application/json")],
            body: #"[{"usageMetadata":{"totalTokenCount":4}},{"usageMetadata":{"totalTokenCount":41}}]"#, units: 41),
        CostCase(name: "JSON pointer missing", cost: CostSettings(jsonPointers: ["/usage"]),
            headers: [("content-type", "application/json")], body: "{}", units: nil),
        CostCase(name: "JSON pointer to a fraction", cost: CostSettings(jsonPointers: ["/n"]),
            headers: [("content-type", "application/json")], body: #"{"n":1.5}"#, units: nil),
        CostCase(name: "SSE: the last event", cost: CostSettings(lastEventPointers: ["/usageMetadata/totalTokenCount"]),
            headers: [("content-type", "text/event-stream")],
            body: event(#"{"usageMetadata":{"totalTokenCount":4}}"#) + event(#"{"usageMetadata":{"totalTokenCount":52}}"#),
            units: 52),
        CostCase(name: "SSE without cost_last_event",
            cost: CostSettings(jsonPointers: ["/usageMetadata/totalTokenCount"]),
            headers: [("content-type", "text/event-stream")], body: event(#"{"usageMetadata":{"totalTokenCount":4}}"#),
            units: nil),
    ]

    @Test(arguments: costCases) func costUnits(_ test: CostCase) {
        let headers = HTTPHeaders(test.headers)
        let headUnits = GenerationJudge.headCost(test.cost, headers: headers)
        let rule = RuleSettings(name: "r", match: try! RoutePattern(parsing: "POST /a", requireMethod: true), cost: test.cost)
        let units = GenerationJudge.judge(rule, headers: headers, body: [ByteBuffer(string: test.body)], headUnits: headUnits).units
        #expect(units == test.units)
    }

    @Test(arguments: [
        (CachePhase.miss, 16, nil, "billed; units=16"),
        (.hit, 16, nil, "saved; units=16"),
        (.bypass, nil, 0.5, "billed"),
        (.coalesced, 1234, 0.0000003, #"saved; units=1234; amount="0.0003702""#),
        (.miss, 3, 2.5, #"billed; units=3; amount="7.5""#),
        (.staleUpdating, 0, 1.0, #"saved; units=0; amount="0""#),
        (.revalidated, 2, nil, "saved; units=2"),
    ] as [(CachePhase, Int?, Double?, String)])
    func costField(phase: CachePhase, units: Int?, price: Double?, expected: String) {
        #expect(RepriseCost.value(phase, units: units, price: price) == expected)
    }
}
