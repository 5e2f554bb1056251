import NIOCore
import NIOHTTP1

/// Turns a resolved endpoint and its consumed request into a response, checking each API's credentials first.
struct DemoRouter {
    // MARK: Properties

    let state: DemoState
    let elevenLabs: ElevenLabsAPI
    let app: AppBackendAPI
    let gemini: GeminiAPI
    let kling: KlingAPI
    let test: TestAPI
    let options: DemoUpstream.Options

    init(state: DemoState, options: DemoUpstream.Options) {
        self.state = state
        self.options = options
        self.elevenLabs = ElevenLabsAPI(state: state, options: options)
        self.app = AppBackendAPI(state: state)
        self.gemini = GeminiAPI()
        self.kling = KlingAPI(state: state, options: options)
        self.test = TestAPI(state: state)
    }

    // MARK: Dispatch

    func respond(to request: DemoRequest, endpoint: DemoEndpoint) -> DemoResponse {
        let response = self.route(request, endpoint: endpoint)
        // The API fakes compress like the real front ends; /test and /bench answer exactly as asked (gzip=1 on
        // /test/cache asks for it).
        switch endpoint {
        case .testCache where request.query("gzip") == "1" || request.query("gzip") == "force":
            return response.gzipped(
                for: request.head,
                varyOnAcceptEncoding: request.query("gzip_vary") != "0",
                force: request.query("gzip") == "force"
            )
        case .testCache, .testEcho, .testLarge, .testUpload, .testSlow, .testHang, .testCounts, .bench, .benchWrite, .klingImage:
            return response
        default:
            return response.gzipped(for: request.head, varyOnAcceptEncoding: !self.options.gzipWithoutVary)
        }
    }

    private func route(_ request: DemoRequest, endpoint: DemoEndpoint) -> DemoResponse {
        switch endpoint {
        case .injected(let status, let family):
            return Self.injectedFailure(status: status, family: family)

        case .appVoices: return self.app.voices(request)
        case .appCloneCreate: return self.app.cloneCreate(request)
        case .appCloneRename(let voiceID): return self.app.cloneRename(request, voiceID: voiceID)
        case .appCloneDelete(let voiceID): return self.app.cloneDelete(request, voiceID: voiceID)

        case .elevenVoices, .elevenVoicesV2, .elevenVoice, .elevenAddVoice, .elevenEditVoice, .elevenDeleteVoice,
            .elevenModels, .elevenTTS:
            switch self.elevenLabs.authenticate(request) {
            case .rejected(let response): return response
            case .passed(let key): return self.respondElevenLabs(request, endpoint: endpoint, key: key)
            }

        case .gemini(let model, let method):
            switch self.gemini.authenticate(request) {
            case .rejected(let response): return response
            case .passed: return self.gemini.generate(request, model: model, method: method)
            }
        case .geminiModels, .geminiModel:
            switch self.gemini.authenticate(request) {
            case .rejected(let response): return response
            case .passed:
                if case .geminiModel(let model) = endpoint { return self.gemini.model(model) }
                return self.gemini.models()
            }

        case .klingCreate, .klingList, .klingTask:
            switch self.kling.authenticate(request) {
            case .rejected(let response): return response
            case .passed(let claims): return self.respondKling(request, endpoint: endpoint, claims: claims)
            }
        case .klingImage: return self.kling.image(request)

        case .testCache: return self.test.cache(request)
        case .testEcho: return self.test.echo(request)
        case .testLarge: return self.test.large(request)
        case .testUpload: return self.test.upload(request)
        case .testSlow: return self.test.slow(request)
        case .testHang: return self.test.hang()
        case .testCounts: return self.test.counts()
        case .bench(let bytes): return self.test.bench(request, bytes: bytes)
        case .benchWrite(let bytes): return self.test.benchWrite(bytes: bytes)

        case .methodNotAllowed: return DemoResponse.methodNotAllowed()
        case .notFound: return DemoResponse.notFound()
        }
    }

    private func respondElevenLabs(_ request: DemoRequest, endpoint: DemoEndpoint, key: String) -> DemoResponse {
        switch endpoint {
        case .elevenVoices: return self.elevenLabs.voices(request, key: key)
        case .elevenVoicesV2: return self.elevenLabs.voicesV2(request, key: key)
        case .elevenVoice(let voiceID): return self.elevenLabs.voice(voiceID, key: key)
        case .elevenAddVoice: return self.elevenLabs.addVoice(request, key: key)
        case .elevenEditVoice(let voiceID): return self.elevenLabs.editVoice(request, voiceID: voiceID, key: key)
        case .elevenDeleteVoice(let voiceID): return self.elevenLabs.deleteVoice(voiceID, key: key)
        case .elevenModels: return self.elevenLabs.models()
        case .elevenTTS(let voiceID, let stream):
            return self.elevenLabs.textToSpeech(request, voiceID: voiceID, stream: stream, key: key)
        default: return DemoResponse.notFound()
        }
    }

    private func respondKling(_ request: DemoRequest, endpoint: DemoEndpoint, claims: KlingJWT.Claims) -> DemoResponse {
        switch endpoint {
        case .klingCreate: return self.kling.create(request, claims: claims)
        case .klingList: return self.kling.list(request, claims: claims)
        case .klingTask(let taskID): return self.kling.task(request, taskID: taskID, claims: claims)
        default: return DemoResponse.notFound()
        }
    }

    // MARK: Injected failures

    /// The body each upstream would send with this status (`failNext`).
    static func injectedFailure(status: Int, family: APIFamily) -> DemoResponse {
        let httpStatus = HTTPResponseStatus(statusCode: status)
        switch family {
        case .gemini:
            return GeminiAPI.injected(status: status)
        case .kling:
            return KlingAPI.injected(status: status)
        case .elevenLabs:
            switch status {
            case 429:
                return ElevenLabsAPI.error(httpStatus, "system_busy",
                    "Our services are experiencing high traffic. Please retry the request shortly.")
            case 401:
                return ElevenLabsAPI.error(httpStatus, "invalid_api_key", "Invalid API key")
            default:
                return ElevenLabsAPI.error(httpStatus, "internal_server_error", "An internal server error occurred.")
            }
        case .app, .test:
            return DemoResponse.json(httpStatus, ["detail": httpStatus.reasonPhrase], headers: [("server", "uvicorn")])
        }
    }
}
