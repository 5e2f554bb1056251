import Foundation
import NIOCore
import NIOHTTP1

/// The fake ElevenLabs API: voices (per-key store), models and text-to-speech with a per-key concurrency cap.
struct ElevenLabsAPI {
    // MARK: Properties

    let state: DemoState
    let options: DemoUpstream.Options

    static let defaultModel = "eleven_multilingual_v2"
    private static let exposedHeaders =
        "request-id, history-item-id, character-cost, tts-latency-ms, current-concurrent-requests, "
        + "maximum-concurrent-requests, regeneration-count, generation-info"

    // MARK: Errors

    /// `{"detail":{"status":..., "message":...}}` with the headers ElevenLabs adds to errors.
    static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> DemoResponse {
        DemoResponse.json(
            status,
            ["detail": ["status": code, "message": message]],
            headers: [
                ("server", "uvicorn"), ("x-trace-id", StableHash.hex(UInt64.random(in: .min ... .max))),
                ("x-region", "us-central1"), ("access-control-allow-origin", "*"),
            ]
        )
    }

    static func voiceNotFound(_ voiceID: String) -> DemoResponse {
        self.error(.notFound, "voice_not_found", "A voice with the voice_id \(voiceID) was not found.")
    }

    /// The API key, or the 401 to answer with.
    func authenticate(_ request: DemoRequest) -> Checked<String> {
        guard let key = request.header("xi-api-key"), !key.isEmpty, key != "bad" else {
            return .rejected(Self.error(.unauthorized, "invalid_api_key", "Invalid API key"))
        }
        return .passed(key)
    }

    // MARK: Voices

    func voices(_ request: DemoRequest, key: String) -> DemoResponse {
        let voices = self.state.voices.list(key: key).map { $0.json() }
        return DemoResponse.json(.ok, ["voices": voices], headers: [("server", "uvicorn")])
    }

    func voicesV2(_ request: DemoRequest, key: String) -> DemoResponse {
        var voices = self.state.voices.list(key: key)
        if let search = request.query("search")?.lowercased(), !search.isEmpty {
            voices = voices.filter { $0.name.lowercased().contains(search) }
        }
        switch request.query("voice_type") {
        case "personal", "non-default": voices = voices.filter { $0.category != "premade" }
        case "default": voices = voices.filter { $0.category == "premade" }
        default: break
        }
        if let category = request.query("category") { voices = voices.filter { $0.category == category } }
        if request.query("sort") == "name" { voices.sort { $0.name < $1.name } }
        if request.query("sort_direction") == "desc" { voices.reverse() }

        let pageSize = min(100, max(1, request.intQuery("page_size") ?? 10))
        let start = min(voices.count, max(0, request.query("next_page_token").flatMap { Int($0) } ?? 0))
        let end = min(voices.count, start + pageSize)
        let hasMore = end < voices.count
        return DemoResponse.json(
            .ok,
            [
                "voices": voices[start..<end].map { $0.json() },
                "has_more": hasMore,
                "total_count": voices.count,
                "next_page_token": hasMore ? String(end) as Any : NSNull(),
            ],
            headers: [("server", "uvicorn")]
        )
    }

    func voice(_ voiceID: String, key: String) -> DemoResponse {
        guard let voice = self.state.voices.voice(key: key, id: voiceID) else { return Self.voiceNotFound(voiceID) }
        return DemoResponse.json(.ok, voice.json(), headers: [("server", "uvicorn")])
    }

    /// POST /v1/voices/add (instant voice clone).
    func addVoice(_ request: DemoRequest, key: String) -> DemoResponse {
        let form: FormBody
        switch FormBody.parse(request) {
        case .passed(let parsed): form = parsed
        case .rejected(let response): return response
        }
        guard let name = form.fields["name"], !name.isEmpty else { return DemoResponse.validationError(field: "name") }
        let voiceID = self.state.voices.add(
            key: key,
            name: name,
            description: form.fields["description"],
            labels: VoiceStore.labels(fromJSON: form.fields["labels"]),
            samples: VoiceStore.samples(from: form.files)
        )
        return DemoResponse.json(
            .ok,
            ["voice_id": voiceID, "requires_verification": false],
            headers: [("server", "uvicorn")]
        )
    }

    /// POST /v1/voices/{id}/edit (multipart, `name` required).
    func editVoice(_ request: DemoRequest, voiceID: String, key: String) -> DemoResponse {
        let form: FormBody
        switch FormBody.parse(request) {
        case .passed(let parsed): form = parsed
        case .rejected(let response): return response
        }
        guard let name = form.fields["name"], !name.isEmpty else { return DemoResponse.validationError(field: "name") }
        let edited = self.state.voices.edit(key: key, id: voiceID) { voice in
            voice.name = name
            if let description = form.fields["description"] { voice.description = description }
            if form.fields["labels"] != nil { voice.labels = VoiceStore.labels(fromJSON: form.fields["labels"]) }
            voice.samples += VoiceStore.samples(from: form.files)
        }
        guard edited else { return Self.voiceNotFound(voiceID) }
        return DemoResponse.json(.ok, ["status": "ok"], headers: [("server", "uvicorn")])
    }

    func deleteVoice(_ voiceID: String, key: String) -> DemoResponse {
        guard self.state.voices.delete(key: key, id: voiceID) else { return Self.voiceNotFound(voiceID) }
        return DemoResponse.json(.ok, ["status": "ok"], headers: [("server", "uvicorn")])
    }

    // MARK: Models

    func models() -> DemoResponse {
        let english: [[String: String]] = [["language_id": "en", "name": "English"]]
        let multilingual = english + [
            ["language_id": "de", "name": "German"], ["language_id": "fr", "name": "French"],
            ["language_id": "es", "name": "Spanish"], ["language_id": "ja", "name": "Japanese"],
        ]
        let models: [[String: Any]] = [
            ("eleven_multilingual_v2", "Eleven Multilingual v2", "Our most life-like, emotionally rich model.",
                multilingual, 1.0, 10_000),
            ("eleven_turbo_v2_5", "Eleven Turbo v2.5", "High quality, low latency model.", multilingual, 0.5, 40_000),
            ("eleven_flash_v2_5", "Eleven Flash v2.5", "Our ultra low latency model.", multilingual, 0.5, 40_000),
            ("eleven_monolingual_v1", "Eleven English v1", "Our first ever text to speech model.", english, 1.0, 5_000),
        ].map { id, name, description, languages, cost, maxCharacters in
            [
                "model_id": id, "name": name, "description": description, "languages": languages,
                "can_be_finetuned": true, "can_do_text_to_speech": true, "can_do_voice_conversion": false,
                "can_use_style": true, "can_use_speaker_boost": true, "serves_pro_voices": false,
                "requires_alpha_access": false, "token_cost_factor": cost,
                "max_characters_request_free_user": 2_500, "max_characters_request_subscribed_user": maxCharacters,
                "maximum_text_length_per_request": maxCharacters,
                "model_rates": ["character_cost_multiplier": cost], "concurrency_group": "standard",
            ]
        }
        return DemoResponse.json(.ok, models, headers: [("server", "uvicorn")])
    }

    // MARK: Text to speech

    /// POST /v1/text-to-speech/{voice_id}[/stream]. Bytes depend only on (voice_id, text, model_id).
    func textToSpeech(_ request: DemoRequest, voiceID: String, stream: Bool, key: String) -> DemoResponse {
        if case .tooLarge = request.body { return DemoResponse.payloadTooLarge() }
        guard let body = request.jsonObject, let text = body["text"] as? String, !text.isEmpty else {
            return DemoResponse.validationError(field: "text")
        }
        guard self.state.voices.voice(key: key, id: voiceID) != nil else { return Self.voiceNotFound(voiceID) }
        let limit = self.options.ttsConcurrencyLimit
        guard let concurrent = self.state.beginTTS(key: key, limit: limit) else {
            return Self.error(
                .tooManyRequests,
                "too_many_concurrent_requests",
                "Too many concurrent requests. Your current subscription is associated with a maximum of \(limit) "
                    + "concurrent requests (running in parallel). Please upgrade your subscription or reduce the "
                    + "number of concurrent requests."
            )
        }

        switch request.header("demo-generation")?.lowercased() {
        case "empty":
            // A 200 with no audio at all (what a failed synthesis can look like).
            self.state.endTTS(key: key)
            return DemoResponse(
                status: .ok,
                headers: HTTPHeaders([("content-type", "audio/mpeg"), ("character-cost", String(text.count))]),
                body: .full(DemoResponse.allocator.buffer(capacity: 0))
            )
        case "not-audio":
            // A 200 whose body is not audio: an error page from a front end.
            self.state.endTTS(key: key)
            var page = DemoResponse.allocator.buffer(capacity: 64)
            page.writeString("<html><body>upstream request timeout</body></html>")
            return DemoResponse(
                status: .ok,
                headers: HTTPHeaders([("content-type", "text/html; charset=utf-8"), ("character-cost", String(text.count))]),
                body: .full(page)
            )
        default:
            break
        }
        let modelID = body["model_id"] as? String ?? Self.defaultModel
        let seed = StableHash.of(voiceID, text, modelID)
        let total = max(0, request.intQuery("size") ?? FakeMedia.audioSize(forCharacters: text.count))
        let delay = TimeAmount.milliseconds(Int64(max(0, request.intQuery("chunk_delay_ms") ?? 0)))
        let streamed = StreamedBody.sized(
            total: total,
            chunkSize: stream ? 16 << 10 : 64 << 10,
            chunked: stream,
            delay: stream ? delay : .zero,
            bytes: { offset, length in FakeMedia.audio(seed: seed, offset: offset, length: length) }
        )
        var response = DemoResponse(
            status: .ok,
            headers: HTTPHeaders([
                ("content-type", "audio/mpeg"),
                ("character-cost", String(text.count)),
                ("request-id", StableHash.randomID(length: 20)),
                ("history-item-id", StableHash.randomID(length: 20)),
                ("tts-latency-ms", String(120 + text.count / 10)),
                ("current-concurrent-requests", String(concurrent)),
                ("maximum-concurrent-requests", String(limit)),
                ("access-control-expose-headers", Self.exposedHeaders),
                ("vary", "Accept-Language"),
                ("server", "uvicorn"),
            ]),
            body: .streamed(streamed)
        )
        response.headDelay = .milliseconds(Int64(max(0, request.intQuery("delay_ms") ?? 0)))
        let state = self.state
        response.onFinish = { state.endTTS(key: key) }
        return response
    }
}
