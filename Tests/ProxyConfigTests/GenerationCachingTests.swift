import Testing

@testable import ProxyConfig

/// The keys of AI generation caching (body-keyed POST caching): good files and exact messages.
@Suite("AI generation caching keys")
struct GenerationCachingTests {
    /// A body-keyed rule at lines 6-9, so added keys start at line 10.
    static func ttsRule(_ keys: String) -> String {
        baseUpstream + "[[rule]]\nname = \"tts\"\nmatch = \"POST /elevenlabs/v1/text-to-speech/*\"\ncache_body = true\n"
            + keys
    }

    /// A GET rule at lines 6-8, so added keys start at line 9.
    static func voicesRule(_ keys: String) -> String {
        baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\n" + keys
    }

    static let everyKey = """
        [[upstream]]
        name = "gemini"
        prefix = "/gemini"
        url = "https://generativelanguage.googleapis.com"
        key_query_params = ["key", "alt_Key"]
        key_jwt_claim = { header = "X-Token", claim = "sub" }

        [[upstream]]
        name = "kling"
        prefix = "/kling"
        url = "https://api-singapore.klingai.com"
        key_jwt_claim.header = "Authorization"
        key_jwt_claim.claim = "iss"

        [[rule]]
        name = "generate"
        match = "POST /gemini/v1beta/models/*"
        cache_body = true
        ignore_body_fields = ["/user", "/stream", "", "/a~1b~0c"]
        max_keyed_body = "256KiB"
        hit_drop_headers = ["Character-Cost", "request-id"]
        finish_on_client_abort = false
        key_query_params = []
        key_jwt_claim = { header = "Authorization", claim = "iss" }
        cost_header = "Character-Cost"

        [[rule]]
        name = "edit"
        match = "PUT /gemini/v1beta/cached/*"
        cache_body = true

        [[rule]]
        name = "task"
        match = "GET /kling/v1/images/generations/*"
        ttl = "1d"
        store_if_json = { pointer = "/data/task_status", in = ["succeed", "failed"] }
        """

    @Test func everyKeyIsDecoded() throws {
        let config = try ConfigLoader.parse(Self.everyKey)
        #expect(config.upstreams[0].keyQueryParams == ["key", "alt_Key"])
        #expect(config.upstreams[0].keyJWTClaim == JWTClaimKey(header: "x-token", claim: "sub"))
        #expect(config.upstreams[1].keyJWTClaim == JWTClaimKey(header: "authorization", claim: "iss"))
        #expect(config.upstreams[1].keyQueryParams == [])
        let generate = config.rules[0]
        #expect(
            generate
                == RuleSettings(
                    name: "generate",
                    match: try RoutePattern(parsing: "POST /gemini/v1beta/models/*", requireMethod: true),
                    cacheBody: true,
                    ignoreBodyFields: ["/user", "/stream", "", "/a~1b~0c"],
                    maxKeyedBody: 256 << 10,
                    hitDropHeaders: ["character-cost", "request-id"],
                    finishOnClientAbort: false,
                    keyQueryParams: [],
                    keyJWTClaim: JWTClaimKey(header: "authorization", claim: "iss"),
                    costHeader: "character-cost",
                    line: 15
                )
        )
        // Defaults: 1 MiB, no condition, finish on abort for body-keyed rules only, the upstream's keys.
        let edit = config.rules[1]
        #expect(edit.cacheBody && edit.maxKeyedBody == 1 << 20 && edit.ignoreBodyFields == [])
        #expect(edit.finishOnClientAbort && edit.hitDropHeaders == [] && edit.costHeader == nil)
        #expect(edit.keyQueryParams == nil && edit.keyJWTClaim == nil && edit.storeIf.isEmpty)
        let task = config.rules[2]
        #expect(task.storeIf.json == [JSONCondition(pointer: "/data/task_status", values: ["succeed", "failed"])])
        #expect(!task.cacheBody && !task.finishOnClientAbort && task.maxKeyedBody == RuleSettings.defaultMaxKeyedBody)
        #expect(
            config.summary
                == "2 upstreams (gemini, kling), 3 rules (2 keyed on the request body), 0 purge rules; "
                + "listen 127.0.0.1:8080"
        )
    }

    @Test func memberwiseDefaultsMatchTheDecoder() throws {
        let match = try RoutePattern(parsing: "POST /elevenlabs/v1/text-to-speech/*", requireMethod: true)
        let rule = RuleSettings(name: "tts", match: match, cacheBody: true)
        #expect(rule.finishOnClientAbort && rule.maxKeyedBody == 1 << 20)
        #expect(!RuleSettings(name: "tts", match: match).finishOnClientAbort)
        let upstream = UpstreamSettings(name: "x", prefix: "/x", url: UpstreamURL(scheme: "https", host: "x"))
        #expect(upstream.keyQueryParams == [] && upstream.keyJWTClaim == nil)
        let config = ProxyConfiguration(upstreams: [upstream], rules: [rule])
        #expect(
            config.summary
                == "1 upstream (x), 1 rule (1 keyed on the request body), 0 purge rules; listen 127.0.0.1:8080"
        )
    }

    @Test func clientControlsDefaultToCacheBodyAndTheTTLCapToTheRulesTTL() throws {
        let config = try ConfigLoader.parse(
            Self.ttsRule("ttl = \"30d\"\nclient_ttl_max = \"1h\"\n") + "\n[[rule]]\nname = \"voices\"\n"
                + "match = \"GET /elevenlabs/v1/voices\"\nttl = \"5m\"\n\n[[rule]]\nname = \"models\"\n"
                + "match = \"GET /elevenlabs/v1/models\"\nclient_controls = true\n"
        )
        let tts = config.rules[0]
        #expect(tts.clientControls && tts.clientTTLMax == .seconds(3600) && tts.effectiveClientTTLMax == .seconds(3600))
        let voices = config.rules[1]
        #expect(!voices.clientControls && voices.effectiveClientTTLMax == .seconds(300))
        let models = config.rules[2]
        #expect(models.clientControls && models.effectiveClientTTLMax == .seconds(86_400))
        let match = try RoutePattern(parsing: "POST /elevenlabs/v1/text-to-speech/*", requireMethod: true)
        #expect(RuleSettings(name: "tts", match: match, cacheBody: true).clientControls)
        #expect(!RuleSettings(name: "tts", match: match).clientControls)
    }

    static let cases: [BadCase] = [
        BadCase(
            "client_ttl_max without client_controls",
            Self.voicesRule("client_ttl_max = \"1h\"\n"),
            "proxy.conf:9: rule[voices].client_ttl_max: is set, but the rule does not read Reprise-Cache-TTL. "
                + "Fix: add client_controls = true, or remove client_ttl_max."
        ),
        BadCase(
            "cache_body on a GET rule",
            Self.voicesRule("cache_body = true\n"),
            "proxy.conf:9: rule[voices].cache_body: is true, but the rule matches GET requests. Fix: cache_body "
                + "applies to POST and PUT rules."
        ),
        BadCase(
            "cache_body on an any-method rule",
            baseUpstream + "[[rule]]\nname = \"tts\"\nmatch = \"* /elevenlabs/v1/text-to-speech/*\"\n"
                + "cache_body = true\n",
            "proxy.conf:9: rule[tts].cache_body: is true, but the rule matches any method. Fix: cache_body applies "
                + "to POST and PUT rules."
        ),
        BadCase(
            "ignore_body_fields without cache_body",
            Self.voicesRule("ignore_body_fields = [\"/user\"]\n"),
            "proxy.conf:9: rule[voices].ignore_body_fields: is set, but the rule does not key on the request body. "
                + "Fix: add cache_body = true, or remove ignore_body_fields."
        ),
        BadCase(
            "max_keyed_body with cache_body = false",
            baseUpstream + "[[rule]]\nname = \"tts\"\nmatch = \"POST /elevenlabs/v1/text-to-speech/*\"\n"
                + "cache_body = false\nmax_keyed_body = \"1MiB\"\n",
            "proxy.conf:10: rule[tts].max_keyed_body: is set, but the rule does not key on the request body. "
                + "Fix: add cache_body = true, or remove max_keyed_body."
        ),
        BadCase(
            "ignore_body_fields without a leading slash",
            Self.ttsRule("ignore_body_fields = [\"/stream\", \"user\"]\n"),
            "proxy.conf:10: rule[tts].ignore_body_fields: \"user\" is not a JSON Pointer. Fix: start it with \"/\", "
                + "e.g. \"/user\"; \"\" is the whole body."
        ),
        BadCase(
            "ignore_body_fields written as a dotted path",
            Self.ttsRule("ignore_body_fields = [\"$.voice_settings.seed\"]\n"),
            "proxy.conf:10: rule[tts].ignore_body_fields: \"$.voice_settings.seed\" is not a JSON Pointer. Fix: "
                + "start it with \"/\", e.g. \"/voice_settings/seed\"; \"\" is the whole body."
        ),
        BadCase(
            "ignore_body_fields with a bad escape",
            Self.ttsRule("ignore_body_fields = [\"/a~2b\"]\n"),
            "proxy.conf:10: rule[tts].ignore_body_fields: \"/a~2b\" has a \"~\" that is not \"~0\" or \"~1\". Fix: "
                + "write \"~0\" for \"~\" and \"~1\" for \"/\" inside a member name."
        ),
        BadCase(
            "max_keyed_body in decimal units",
            Self.ttsRule("max_keyed_body = \"1MB\"\n"),
            "proxy.conf:10: rule[tts].max_keyed_body: \"1MB\" uses the decimal unit MB. Fix: write \"1MiB\"; sizes "
                + "use the binary units B, KiB, MiB and GiB."
        ),
        BadCase(
            "max_keyed_body of zero",
            Self.ttsRule("max_keyed_body = 0\n"),
            "proxy.conf:10: rule[tts].max_keyed_body: 0 must be greater than 0. Fix: write a size such as \"1MiB\"."
        ),
        BadCase(
            "store_if_json as a string",
            Self.voicesRule("store_if_json = \"/data/task_status\"\n"),
            "proxy.conf:9: rule[voices].store_if_json: expected an inline table or an array of them, found a string. "
                + "Fix: write "
                + "store_if_json = { pointer = \"/data/task_status\", in = [\"succeed\", \"failed\"] }."
        ),
        BadCase(
            "store_if_json without pointer",
            Self.voicesRule("store_if_json = { in = [\"succeed\"] }\n"),
            "proxy.conf:9: rule[voices].store_if_json: missing required key pointer. Fix: add pointer = "
                + "\"/data/task_status\"."
        ),
        BadCase(
            "store_if_json without in",
            Self.voicesRule("store_if_json = { pointer = \"/data/task_status\" }\n"),
            "proxy.conf:9: rule[voices].store_if_json: missing required key in. Fix: add in = [\"succeed\", "
                + "\"failed\"], the values that make a response worth storing."
        ),
        BadCase(
            "store_if_json with an empty in",
            Self.voicesRule("store_if_json = { pointer = \"/data/task_status\", in = [] }\n"),
            "proxy.conf:9: rule[voices].store_if_json.in: is empty, so no response would be stored. Fix: list the "
                + "values that make a response worth storing, e.g. in = [\"succeed\", \"failed\"]."
        ),
        BadCase(
            "store_if_json with a number in in",
            Self.voicesRule("store_if_json = { pointer = \"/code\", in = [\"ok\", 0] }\n"),
            "proxy.conf:9: rule[voices].store_if_json.in: expected an array of strings, found an integer at "
                + "position 2. Fix: write in = [\"succeed\", \"failed\"]."
        ),
        BadCase(
            "store_if_json with a bad pointer",
            Self.voicesRule("store_if_json = { pointer = \"data.task_status\", in = [\"succeed\"] }\n"),
            "proxy.conf:9: rule[voices].store_if_json.pointer: \"data.task_status\" is not a JSON Pointer. Fix: "
                + "start it with \"/\", e.g. \"/data/task_status\"; \"\" is the whole body."
        ),
        BadCase(
            "store_if_json with a misspelled key",
            Self.voicesRule("store_if_json = { pointr = \"/data/task_status\", in = [\"succeed\"] }\n"),
            "proxy.conf:9: rule[voices].store_if_json: unknown key \"pointr\". Fix: did you mean pointer?",
            "proxy.conf:9: rule[voices].store_if_json: missing required key pointer. Fix: add pointer = "
                + "\"/data/task_status\"."
        ),
        BadCase(
            "store_if_json with an unknown key",
            Self.voicesRule("store_if_json = { pointer = \"/status\", in = [\"done\"], when = \"always\" }\n"),
            "proxy.conf:9: rule[voices].store_if_json: unknown key \"when\". Fix: remove it; store_if_json takes "
                + "pointer, in, absent, present, detail."
        ),
        BadCase(
            "store_if_json as dotted keys, problem on the key's own line",
            Self.voicesRule("store_if_json.pointer = \"/status\"\nstore_if_json.in = []\n"),
            "proxy.conf:10: rule[voices].store_if_json.in: is empty, so no response would be stored. Fix: list the "
                + "values that make a response worth storing, e.g. in = [\"succeed\", \"failed\"]."
        ),
        BadCase(
            "hit_drop_headers with a space",
            Self.ttsRule("hit_drop_headers = [\"character cost\"]\n"),
            "proxy.conf:10: rule[tts].hit_drop_headers: \"character cost\" is not a header name. Fix: write a header "
                + "name such as \"xi-api-key\"."
        ),
        BadCase(
            "finish_on_client_abort as a string",
            Self.ttsRule("finish_on_client_abort = \"no\"\n"),
            "proxy.conf:10: rule[tts].finish_on_client_abort: expected true or false, found a string. Fix: write "
                + "finish_on_client_abort = false."
        ),
        BadCase(
            "cost_header as an array",
            Self.ttsRule("cost_header = [\"character-cost\"]\n"),
            "proxy.conf:10: rule[tts].cost_header: expected a string, found an array. Fix: write cost_header = "
                + "\"character-cost\"."
        ),
        BadCase(
            "cost_header that is not a header name",
            Self.ttsRule("cost_header = \"character cost\"\n"),
            "proxy.conf:10: rule[tts].cost_header: \"character cost\" is not a header name. Fix: write a header name "
                + "such as \"xi-api-key\"."
        ),
        BadCase(
            "rule key_query_params with a value",
            Self.ttsRule("key_query_params = [\"key=abc\"]\n"),
            "proxy.conf:10: rule[tts].key_query_params: \"key=abc\" is not a query parameter name. Fix: write the "
                + "parameter's name only, e.g. \"key\"."
        ),
        BadCase(
            "rule key_jwt_claim without claim",
            Self.ttsRule("key_jwt_claim = { header = \"Authorization\" }\n"),
            "proxy.conf:10: rule[tts].key_jwt_claim: missing required key claim. Fix: add claim = \"iss\"."
        ),
        BadCase(
            "rule key_jwt_claim with a misspelled key",
            Self.ttsRule("key_jwt_claim = { header = \"Authorization\", claims = \"iss\" }\n"),
            "proxy.conf:10: rule[tts].key_jwt_claim: unknown key \"claims\". Fix: did you mean claim?",
            "proxy.conf:10: rule[tts].key_jwt_claim: missing required key claim. Fix: add claim = \"iss\"."
        ),
        BadCase(
            "upstream key_query_params with an empty name",
            baseUpstream.replacingOccurrences("\n\n", "\nkey_query_params = [\"\"]\n\n"),
            "proxy.conf:5: upstream[elevenlabs].key_query_params: \"\" is not a query parameter name. Fix: write "
                + "the parameter's name only, e.g. \"key\"."
        ),
        BadCase(
            "upstream key_jwt_claim with a bad header and an empty claim",
            baseUpstream.replacingOccurrences("\n\n", "\nkey_jwt_claim = { header = \"Auth: x\", claim = \"\" }\n\n"),
            "proxy.conf:5: upstream[elevenlabs].key_jwt_claim.header: \"Auth: x\" is not a header name. Fix: write "
                + "a header name such as \"xi-api-key\".",
            "proxy.conf:5: upstream[elevenlabs].key_jwt_claim.claim: \"\" is not a claim name. Fix: name a claim "
                + "of the token's payload, e.g. \"iss\"."
        ),
        BadCase(
            "upstream key_jwt_claim as an array",
            baseUpstream.replacingOccurrences("\n\n", "\nkey_jwt_claim = [\"iss\"]\n\n"),
            "proxy.conf:5: upstream[elevenlabs].key_jwt_claim: expected an inline table, found an array. Fix: write "
                + "key_jwt_claim = { header = \"Authorization\", claim = \"iss\", secret = \"${KLING_SECRET_KEY}\" }."
        ),
        BadCase(
            "upstream key misspelled",
            baseUpstream.replacingOccurrences("\n\n", "\nkey_query_param = [\"key\"]\n\n"),
            "proxy.conf:5: upstream[elevenlabs]: unknown key \"key_query_param\". Fix: did you mean key_query_params?"
        ),
    ]

    @Test(arguments: Self.cases)
    func badEntry(_ testCase: BadCase) {
        #expect(problems(testCase.text, environment: testCase.environment) == testCase.expected)
    }

    @Test func cacheBodyIsFineOffOrOnPOSTAndPUT() {
        #expect(problems(Self.voicesRule("cache_body = false\n")) == [])
        #expect(problems(Self.ttsRule("")) == [])
    }
}
