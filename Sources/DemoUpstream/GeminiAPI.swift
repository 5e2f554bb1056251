import Foundation
import NIOCore
import NIOHTTP1

/// The fake Gemini API: generateContent and streamGenerateContent (SSE), with Google's error envelopes.
struct GeminiAPI {
    // MARK: Constants

    private static let responseHeaders: [(String, String)] = [
        ("content-type", "application/json; charset=UTF-8"),
        ("vary", "Origin, X-Origin, Referer"),
        ("server", "scaffolding on HTTPServer2"),
        ("x-xss-protection", "0"),
        ("x-frame-options", "SAMEORIGIN"),
        ("x-content-type-options", "nosniff"),
    ]

    // MARK: Errors

    /// `{"error":{"code":N,"message":"…","status":"…","details":[…]}}`
    static func error(_ code: Int, _ status: String, _ message: String, details: [[String: Any]] = []) -> DemoResponse {
        var error: [String: Any] = ["code": code, "message": message, "status": status]
        if !details.isEmpty { error["details"] = details }
        return DemoResponse.json(HTTPResponseStatus(statusCode: code), ["error": error], headers: Self.responseHeaders)
    }

    /// The error for an injected status: 429 with QuotaFailure + RetryInfo, 503 overloaded, and so on.
    static func injected(status: Int, model: String = "gemini-2.5-flash") -> DemoResponse {
        switch status {
        case 429:
            return self.error(
                429,
                "RESOURCE_EXHAUSTED",
                "You exceeded your current quota, please check your plan and billing details. For more information "
                    + "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
                details: [
                    [
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [
                            [
                                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                                "quotaDimensions": ["location": "global", "model": model],
                                "quotaValue": "10",
                            ] as [String: Any]
                        ],
                    ],
                    [
                        "@type": "type.googleapis.com/google.rpc.Help",
                        "links": [
                            [
                                "description": "Learn more about Gemini API quotas",
                                "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                            ]
                        ],
                    ],
                    ["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "59s"],
                ]
            )
        case 503:
            return self.error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
        case 500:
            return self.error(500, "INTERNAL", "An internal error has occurred. Please retry or report in "
                + "https://developers.generativeai.google/guide/troubleshooting")
        case 400:
            return self.error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
        case 403:
            return self.error(403, "PERMISSION_DENIED", "The caller does not have permission")
        case 404:
            return self.error(404, "NOT_FOUND", "Requested entity was not found.")
        default:
            return self.error(status, "UNKNOWN", "Injected failure.")
        }
    }

    // MARK: Auth

    /// `x-goog-api-key` or `?key=`: none → 403, "bad" → 400 API_KEY_INVALID.
    func authenticate(_ request: DemoRequest) -> Checked<String> {
        guard let key = request.header("x-goog-api-key") ?? request.query("key"), !key.isEmpty else {
            return .rejected(
                Self.error(
                    403,
                    "PERMISSION_DENIED",
                    "Method doesn't allow unregistered callers (callers without established identity). Please use "
                        + "API Key or other form of API consumer identity to call this API."
                )
            )
        }
        guard key != "bad" else {
            let message = "API key not valid. Please pass a valid API key."
            return .rejected(
                Self.error(
                    400,
                    "INVALID_ARGUMENT",
                    message,
                    details: [
                        [
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "API_KEY_INVALID",
                            "domain": "googleapis.com",
                            "metadata": ["service": "generativelanguage.googleapis.com"],
                        ],
                        ["@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
                            "message": message],
                    ]
                )
            )
        }
        return .passed(key)
    }

    // MARK: Generation

    /// POST /v1beta/models/{model}:generateContent and :streamGenerateContent (`?delay_ms=` delays generateContent).
    func generate(_ request: DemoRequest, model: String, method: String) -> DemoResponse {
        guard model.hasPrefix("gemini-") else {
            return Self.error(
                404,
                "NOT_FOUND",
                "models/\(model) is not found for API version v1beta, or is not supported for \(method). Call "
                    + "ListModels to see the list of available models and their supported methods."
            )
        }
        if case .tooLarge = request.body {
            return Self.error(400, "INVALID_ARGUMENT", "Request payload size exceeds the limit.")
        }
        guard let body = request.jsonObject, let contents = body["contents"] as? [Any], !contents.isEmpty else {
            return Self.error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified\n")
        }
        if method == "countTokens" {
            let tokens = max(1, GeminiText.promptCharacters(contents) / 4)
            return DemoResponse.json(.ok, ["totalTokens": tokens], headers: Self.responseHeaders)
        }
        let config = body["generationConfig"] as? [String: Any] ?? [:]
        var generator: SplitMix64
        if let seed = config["seed"], !(seed is NSNull) {
            generator = SplitMix64(seed: StableHash.of(model, JSON.string(body)))
        } else {
            generator = SplitMix64(seed: UInt64.random(in: .min ... .max))
        }
        let promptCharacters = GeminiText.promptCharacters(contents)
        let maxTokens = (config["maxOutputTokens"] as? Int) ?? 400
        let words = GeminiText.story(wordCount: max(3, min(180, maxTokens * 3 / 4)), using: &generator)
        let responseID = StableHash.alphanumericID(length: 22, using: &generator)
        let usage = GeminiText.Usage(
            prompt: max(1, promptCharacters / 4),
            candidates: max(1, words.count * 4 / 3)
        )

        var headers = Self.responseHeaders
        headers.append(("server-timing", "gfet4t7; dur=\(200 + words.count * 3)"))
        if method == "streamGenerateContent" {
            return self.stream(request, words: words, usage: usage, model: model, responseID: responseID,
                headers: headers)
        }
        var payload = GeminiText.response(
            text: words.joined(separator: " "),
            final: true,
            usage: usage,
            model: model,
            responseID: responseID
        )
        if let bad = Self.badGeneration(request) { payload = GeminiText.spoil(payload, as: bad) }
        var response = DemoResponse.json(.ok, payload, headers: headers)
        // `?delay_ms=`: the generation takes this long before the head, as a real one takes seconds.
        response.headDelay = .milliseconds(Int64(max(0, request.intQuery("delay_ms") ?? 0)))
        return response
    }

    /// `Demo-Generation: safety` (and the other `GeminiText.badGenerations`): answer 200 with that bad generation.
    static func badGeneration(_ request: DemoRequest) -> String? {
        request.header("demo-generation").map { $0.lowercased() }.flatMap {
            GeminiText.badGenerations.contains($0) ? $0 : nil
        }
    }

    // MARK: Models

    static let modelNames = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"]

    private static func modelJSON(_ name: String) -> [String: Any] {
        [
            "name": "models/\(name)",
            "version": "001",
            "displayName": name.replacingOccurrences(of: "-", with: " ").capitalized,
            "description": "A fake \(name) served by Reprise's demo upstream.",
            "inputTokenLimit": 1_048_576,
            "outputTokenLimit": 65_536,
            "supportedGenerationMethods": ["generateContent", "countTokens", "streamGenerateContent"],
            "temperature": 1,
            "topP": 0.95,
            "topK": 64,
        ]
    }

    /// GET /{v1,v1beta}/models: `{"models": [...]}` (one page).
    func models() -> DemoResponse {
        DemoResponse.json(.ok, ["models": Self.modelNames.map(Self.modelJSON)], headers: Self.responseHeaders)
    }

    /// GET /{v1,v1beta}/models/{model}.
    func model(_ name: String) -> DemoResponse {
        guard Self.modelNames.contains(name) else {
            return Self.error(404, "NOT_FOUND", "models/\(name) is not found for API version v1beta.")
        }
        return DemoResponse.json(.ok, Self.modelJSON(name), headers: Self.responseHeaders)
    }

    /// SSE: at least three `data: {...}\r\n\r\n` events, each flushed on its own; counts and finishReason come last.
    private func stream(
        _ request: DemoRequest,
        words: [String],
        usage: GeminiText.Usage,
        model: String,
        responseID: String,
        headers: [(String, String)]
    ) -> DemoResponse {
        let pieces = GeminiText.split(words, into: max(3, min(8, words.count / 12)))
        var events: [[String: Any]] = pieces.enumerated().map { index, piece in
            let isLast = index == pieces.count - 1
            let text = (index == 0 ? "" : " ") + piece.joined(separator: " ")
            return GeminiText.response(text: text, final: isLast, usage: usage, model: model, responseID: responseID)
        }
        if let bad = Self.badGeneration(request) {
            // The stream ends cleanly, but without the event that finishes it, or with a spoiled one.
            if bad == "no-final-event" { events.removeLast() } else { events[events.count - 1] = GeminiText.spoil(events[events.count - 1], as: bad) }
        }
        guard request.query("alt") == "sse" else {
            // Without alt=sse the API streams one JSON array.
            return DemoResponse.json(.ok, events, headers: headers)
        }
        var responseHeaders = HTTPHeaders(headers)
        responseHeaders.replaceOrAdd(name: "content-type", value: "text/event-stream")
        let delay = TimeAmount.milliseconds(Int64(max(0, request.intQuery("chunk_delay_ms") ?? 0)))
        let body = StreamedBody(contentLength: nil, chunkCount: events.count, chunkDelay: delay) { index in
            var buffer = DemoResponse.allocator.buffer(string: "data: ")
            var json = JSON.encode(events[index])
            buffer.writeBuffer(&json)
            buffer.writeString("\r\n\r\n")
            return buffer
        }
        return DemoResponse(status: .ok, headers: responseHeaders, body: .streamed(body))
    }
}
