import NIOCore
import NIOHTTP1

/// The fake FastAPI app backend: its TTS routes share the ElevenLabs voice store (keyed by `xi-api-key`, or
/// "default" when the header is absent), as an app that forwards to ElevenLabs would.
struct AppBackendAPI {
    // MARK: Properties

    let state: DemoState

    static func accountKey(_ request: DemoRequest) -> String {
        guard let key = request.header("xi-api-key"), !key.isEmpty else { return "default" }
        return key
    }

    // MARK: Routes

    /// GET /api/v1/tts/voices (`?delay_ms=` holds the answer back, as a slow backend would, after the list is read).
    func voices(_ request: DemoRequest) -> DemoResponse {
        let voices = self.state.voices.list(key: Self.accountKey(request)).map { $0.json() }
        var response = DemoResponse.json(.ok, ["voices": voices], headers: [("server", "uvicorn")])
        response.headDelay = .milliseconds(Int64(max(0, request.intQuery("delay_ms") ?? 0)))
        return response
    }

    /// POST /api/v1/tts/clone/create (multipart with `name` and `files`, or JSON `{"name": ...}`).
    func cloneCreate(_ request: DemoRequest) -> DemoResponse {
        let form: FormBody
        switch FormBody.parse(request) {
        case .passed(let parsed): form = parsed
        case .rejected(let response): return response
        }
        guard let name = form.fields["name"], !name.isEmpty else { return DemoResponse.validationError(field: "name") }
        let voiceID = self.state.voices.add(
            key: Self.accountKey(request),
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

    /// PUT /api/v1/tts/clone/{voice_id} with JSON `{"name": ...}`.
    func cloneRename(_ request: DemoRequest, voiceID: String) -> DemoResponse {
        if case .tooLarge = request.body { return DemoResponse.payloadTooLarge() }
        guard let name = request.jsonObject?["name"] as? String, !name.isEmpty else {
            return DemoResponse.validationError(field: "name")
        }
        let renamed = self.state.voices.edit(key: Self.accountKey(request), id: voiceID) { $0.name = name }
        guard renamed else { return ElevenLabsAPI.voiceNotFound(voiceID) }
        return DemoResponse.json(.ok, ["status": "ok"], headers: [("server", "uvicorn")])
    }

    /// DELETE /api/v1/tts/clone/{voice_id}
    func cloneDelete(_ request: DemoRequest, voiceID: String) -> DemoResponse {
        guard self.state.voices.delete(key: Self.accountKey(request), id: voiceID) else {
            return ElevenLabsAPI.voiceNotFound(voiceID)
        }
        return DemoResponse.json(.ok, ["status": "ok"], headers: [("server", "uvicorn")])
    }
}
