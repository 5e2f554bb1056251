import NIOHTTP1

/// Which fake API a path belongs to; it decides the shape of error bodies (injected failures, 404s).
enum APIFamily {
    case app
    case elevenLabs
    case gemini
    case kling
    case test

    init(path: String) {
        if path.hasPrefix("/api/") {
            self = .app
        } else if path.hasPrefix("/v1beta/") || path.hasPrefix("/v1/models/") {
            self = .gemini
        } else if path.hasPrefix("/v1/images/") || path.hasPrefix("/bs2/") {
            self = .kling
        } else if path.hasPrefix("/v1/") || path.hasPrefix("/v2/") {
            self = .elevenLabs
        } else {
            self = .test
        }
    }
}

/// The route table: a request's method and path resolved once, when its head arrives, so the body can be consumed
/// the way the route needs (counted, collected, parsed as multipart, summed).
enum DemoEndpoint {
    // MARK: Cases

    case injected(status: Int, family: APIFamily)

    case appVoices
    case appCloneCreate
    case appCloneRename(voiceID: String)
    case appCloneDelete(voiceID: String)

    case elevenVoices
    case elevenVoicesV2
    case elevenVoice(voiceID: String)
    case elevenAddVoice
    case elevenEditVoice(voiceID: String)
    case elevenDeleteVoice(voiceID: String)
    case elevenModels
    case elevenTTS(voiceID: String, stream: Bool)

    case gemini(model: String, method: String)
    /// GET /v1beta/models, /v1/models with a Gemini credential (ElevenLabs has a /v1/models of its own).
    case geminiModels
    case geminiModel(model: String)

    case klingCreate
    case klingList
    case klingTask(taskID: String)
    case klingImage(taskID: String)

    case testCache
    case testEcho
    case testLarge
    case testUpload
    case testSlow
    case testHang
    case testCounts
    case bench(bytes: Int)
    /// `POST /bench/{bytes}`: a write the proxy forwards and never stores (the pass-through benchmark row).
    case benchWrite(bytes: Int)

    case methodNotAllowed
    case notFound

    // MARK: Resolution

    /// `geminiCredential`: the request carries `x-goog-api-key` or `?key=`, which tells Gemini's `GET /v1/models`
    /// from ElevenLabs's (the fake serves both APIs at their own paths on one port).
    static func resolve(method: HTTPMethod, path: String, geminiCredential: Bool = false) -> DemoEndpoint {
        let isGet = method == .GET || method == .HEAD
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        func only(_ allowed: Bool, _ endpoint: DemoEndpoint) -> DemoEndpoint {
            allowed ? endpoint : .methodNotAllowed
        }

        switch segments.first {
        case "test":
            guard segments.count == 2 else { return .notFound }
            switch segments[1] {
            case "cache": return .testCache
            case "echo": return .testEcho
            case "large": return only(isGet, .testLarge)
            case "upload": return only(method == .POST || method == .PUT, .testUpload)
            case "slow": return only(isGet, .testSlow)
            case "hang": return .testHang
            case "counts": return only(isGet, .testCounts)
            default: return .notFound
            }
        case "bench":
            guard segments.count == 2, let bytes = Int(segments[1]), bytes >= 0, bytes <= 256 << 20 else {
                return .notFound
            }
            if method == .POST { return .benchWrite(bytes: bytes) }
            return only(isGet, .bench(bytes: bytes))
        case "api":
            return self.resolveApp(method: method, segments: segments)
        case "v1beta":
            return self.resolveGemini(method: method, segments: segments)
        case "v1", "v2":
            if segments.count >= 2 && segments[1] == "images" {
                return self.resolveKling(method: method, segments: segments)
            }
            // Gemini's stable API version (google-genai's default since 3.0) shares /v1 with ElevenLabs.
            if segments[0] == "v1", segments.count >= 2, segments[1] == "models",
                segments.count == 3 && segments[2].contains(":") || geminiCredential
            {
                return self.resolveGemini(method: method, segments: segments)
            }
            return self.resolveElevenLabs(method: method, segments: segments)
        case "bs2":
            // /bs2/upload-kling-api/<account>/image/<task>-<i>_raw_image_1.png
            guard segments.count == 5, segments[1] == "upload-kling-api", segments[3] == "image",
                segments[4].hasSuffix(".png"), let dash = segments[4].lastIndex(of: "-")
            else { return .notFound }
            return only(isGet, .klingImage(taskID: String(segments[4][..<dash])))
        default:
            return .notFound
        }
    }

    private static func resolveApp(method: HTTPMethod, segments: [String]) -> DemoEndpoint {
        guard segments.count >= 4, segments[1] == "v1", segments[2] == "tts" else { return .notFound }
        switch (segments.count, segments[3]) {
        case (4, "voices"):
            return method == .GET || method == .HEAD ? .appVoices : .methodNotAllowed
        case (5, "clone") where segments[4] == "create":
            return method == .POST ? .appCloneCreate : .methodNotAllowed
        case (5, "clone"):
            switch method {
            case .PUT: return .appCloneRename(voiceID: segments[4])
            case .DELETE: return .appCloneDelete(voiceID: segments[4])
            default: return .methodNotAllowed
            }
        default:
            return .notFound
        }
    }

    private static func resolveElevenLabs(method: HTTPMethod, segments: [String]) -> DemoEndpoint {
        let isGet = method == .GET || method == .HEAD
        switch (segments[0], segments.count, segments.count > 1 ? segments[1] : "") {
        case ("v1", 2, "voices"): return isGet ? .elevenVoices : .methodNotAllowed
        case ("v2", 2, "voices"): return isGet ? .elevenVoicesV2 : .methodNotAllowed
        case ("v1", 2, "models"): return isGet ? .elevenModels : .methodNotAllowed
        case ("v1", 3, "voices") where segments[2] == "add":
            return method == .POST ? .elevenAddVoice : .methodNotAllowed
        case ("v1", 3, "voices"):
            if isGet { return .elevenVoice(voiceID: segments[2]) }
            return method == .DELETE ? .elevenDeleteVoice(voiceID: segments[2]) : .methodNotAllowed
        case ("v1", 4, "voices") where segments[3] == "edit":
            return method == .POST ? .elevenEditVoice(voiceID: segments[2]) : .methodNotAllowed
        case ("v1", 3, "text-to-speech"):
            return method == .POST ? .elevenTTS(voiceID: segments[2], stream: false) : .methodNotAllowed
        case ("v1", 4, "text-to-speech") where segments[3] == "stream":
            return method == .POST ? .elevenTTS(voiceID: segments[2], stream: true) : .methodNotAllowed
        default:
            return .notFound
        }
    }

    private static func resolveGemini(method: HTTPMethod, segments: [String]) -> DemoEndpoint {
        let isGet = method == .GET || method == .HEAD
        // /{v1,v1beta}/models and /{v1,v1beta}/models/{model}
        if segments.count == 2, segments[1] == "models" { return isGet ? .geminiModels : .methodNotAllowed }
        if segments.count == 3, segments[1] == "models", !segments[2].contains(":") {
            return isGet ? .geminiModel(model: segments[2]) : .methodNotAllowed
        }
        // /{v1,v1beta}/models/{model}:{method}
        guard segments.count == 3, segments[1] == "models", let colon = segments[2].lastIndex(of: ":") else {
            return .notFound
        }
        let model = String(segments[2][..<colon])
        let action = String(segments[2][segments[2].index(after: colon)...])
        guard action == "generateContent" || action == "streamGenerateContent" || action == "countTokens" else {
            return .notFound
        }
        return method == .POST ? .gemini(model: model, method: action) : .methodNotAllowed
    }

    private static func resolveKling(method: HTTPMethod, segments: [String]) -> DemoEndpoint {
        guard segments[0] == "v1", segments.count >= 3, segments[2] == "generations" else { return .notFound }
        switch segments.count {
        case 3:
            if method == .POST { return .klingCreate }
            return method == .GET || method == .HEAD ? .klingList : .methodNotAllowed
        case 4:
            return method == .GET || method == .HEAD ? .klingTask(taskID: segments[3]) : .methodNotAllowed
        default:
            return .notFound
        }
    }

    // MARK: Body handling

    /// How the route consumes the request body.
    func bodyMode(contentType: String?) -> BodySink.Mode {
        switch self {
        case .testUpload:
            return .checksum
        case .appCloneCreate, .elevenAddVoice, .elevenEditVoice:
            if let contentType, let boundary = MultipartParser.boundary(fromContentType: contentType) {
                return .multipart(boundary: boundary)
            }
            return .collect
        case .appCloneRename, .elevenTTS, .gemini, .klingCreate:
            return .collect
        default:
            return .count
        }
    }
}
