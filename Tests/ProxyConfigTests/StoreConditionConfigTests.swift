import Testing

@testable import ProxyConfig

/// `store_if_*` and `cost_*` (issue 16): what each key reads, and the message for each mistake.
@Suite struct StoreConditionConfigTests {
    static func ttsRule(_ keys: String) -> String {
        baseUpstream + "[[rule]]\nname = \"tts\"\nmatch = \"POST /elevenlabs/v1/text-to-speech/*\"\ncache_body = true\n"
            + keys
    }

    @Test func everyConditionAndCostKeyIsRead() throws {
        let text = Self.ttsRule(
            """
            store_if_content_type = ["audio/*", "Application/JSON"]
            store_if_min_size = "1KiB"
            store_if_json = [{ pointer = "/error", absent = true, detail = "error-object" },
                { pointer = "/text", present = true }, { pointer = "/status", in = ["done", "0"] }]
            store_if_last_event = { pointer = "/done", in = ["true"] }
            cost_json = ["/usage/input", "/usage/output"]
            cost_last_event = "/usage/total"
            cost_price = 0.0000003

            """
        )
        let rule = try ConfigLoader.parse(text).rules[0]
        #expect(rule.storeIf.contentTypes == ["audio/*", "application/json"])
        #expect(rule.storeIf.minSize == 1024)
        #expect(
            rule.storeIf.json == [
                JSONCondition(pointer: "/error", test: .absent, detail: "error-object"),
                JSONCondition(pointer: "/text", test: .present),
                JSONCondition(pointer: "/status", values: ["done", "0"]),
            ]
        )
        #expect(rule.storeIf.lastEvent == [JSONCondition(pointer: "/done", values: ["true"])])
        #expect(
            rule.cost
                == CostSettings(
                    jsonPointers: ["/usage/input", "/usage/output"],
                    lastEventPointers: ["/usage/total"],
                    price: 0.0000003
                )
        )
        let fixed = try ConfigLoader.parse(Self.ttsRule("cost_fixed = 2\ncost_price = 1\n")).rules[0]
        #expect(fixed.cost == CostSettings(fixed: 2, price: 1))
    }

    static let cases: [BadCase] = [
        BadCase(
            "a content type without a subtype",
            ttsRule("store_if_content_type = [\"audio\"]\n"),
            "proxy.conf:10: rule[tts].store_if_content_type: \"audio\" is not a media type. Fix: write a type such as "
                + "\"audio/*\" or \"application/json\" (no parameters)."
        ),
        BadCase(
            "a content type with parameters",
            ttsRule("store_if_content_type = [\"application/json; charset=utf-8\"]\n"),
            "proxy.conf:10: rule[tts].store_if_content_type: \"application/json; charset=utf-8\" is not a media type. "
                + "Fix: write a type such as \"audio/*\" or \"application/json\" (no parameters)."
        ),
        BadCase(
            "no content type at all",
            ttsRule("store_if_content_type = []\n"),
            "proxy.conf:10: rule[tts].store_if_content_type: is empty, so no response would be stored. Fix: list the "
                + "types worth storing, e.g. [\"audio/*\"], or remove the key."
        ),
        BadCase(
            "a minimum size of zero",
            ttsRule("store_if_min_size = 0\n"),
            "proxy.conf:10: rule[tts].store_if_min_size: 0 must be greater than 0. Fix: write a size such as \"1B\"."
        ),
        BadCase(
            "a condition that tests two things",
            ttsRule("store_if_json = { pointer = \"/error\", absent = true, in = [\"x\"] }\n"),
            "proxy.conf:10: rule[tts].store_if_json: has in and absent; a condition tests one thing. Fix: keep one of "
                + "in, absent = true or present = true; write two conditions for two tests."
        ),
        BadCase(
            "absent = false",
            ttsRule("store_if_json = { pointer = \"/error\", absent = false }\n"),
            "proxy.conf:10: rule[tts].store_if_json.absent: is false. Fix: write absent = true, or remove the "
                + "condition."
        ),
        BadCase(
            "a detail that is not a token",
            ttsRule("store_if_json = { pointer = \"/error\", absent = true, detail = \"Error Object\" }\n"),
            "proxy.conf:10: rule[tts].store_if_json.detail: \"Error Object\" is not a detail token. Fix: write 1 to 32 "
                + "lower-case letters, digits and \"-\", e.g. \"finish-reason\"."
        ),
        BadCase(
            "an array element that is not a table",
            ttsRule("store_if_last_event = [\"/done\"]\n"),
            "proxy.conf:10: rule[tts].store_if_last_event: expected an array of inline tables, found a string at "
                + "position 1. Fix: write store_if_last_event = [{ pointer = \"/error\", absent = true }, ...]."
        ),
        BadCase(
            "a bad pointer in the second condition",
            ttsRule("store_if_json = [{ pointer = \"/a\", present = true }, { pointer = \"b\", present = true }]\n"),
            "proxy.conf:10: rule[tts].store_if_json[2].pointer: \"b\" is not a JSON Pointer. Fix: start it with "
                + "\"/\", e.g. \"/b\"; \"\" is the whole body."
        ),
        BadCase(
            "cost_fixed of zero",
            ttsRule("cost_fixed = 0\n"),
            "proxy.conf:10: rule[tts].cost_fixed: must be greater than 0. Fix: write the units one call costs, e.g. 1."
        ),
        BadCase(
            "two cost sources",
            ttsRule("cost_header = \"character-cost\"\ncost_fixed = 1\n"),
            "proxy.conf:11: rule[tts].cost_fixed: is set with cost_header; a rule reads its cost from one place. Fix: "
                + "keep cost_header, or cost_fixed, or cost_json and cost_last_event (a JSON body and a stream)."
        ),
        BadCase(
            "a price without a cost",
            ttsRule("cost_price = 0.5\n"),
            "proxy.conf:10: rule[tts].cost_price: is set, but the rule reads no cost. Fix: add cost_header, cost_json, "
                + "cost_last_event or cost_fixed, or remove cost_price."
        ),
        BadCase(
            "a negative price",
            ttsRule("cost_fixed = 1\ncost_price = -1.0\n"),
            "proxy.conf:11: rule[tts].cost_price: must be greater than 0. Fix: write the price of one unit, e.g. "
                + "0.0000003."
        ),
        BadCase(
            "a dotted path as cost_json",
            ttsRule("cost_json = \"usageMetadata.totalTokenCount\"\n"),
            "proxy.conf:10: rule[tts].cost_json: \"usageMetadata.totalTokenCount\" is not a JSON Pointer. Fix: start "
                + "it with \"/\", e.g. \"/usageMetadata/totalTokenCount\"; \"\" is the whole body."
        ),
    ]

    @Test(arguments: Self.cases)
    func badEntry(_ testCase: BadCase) {
        #expect(problems(testCase.text, environment: testCase.environment) == testCase.expected)
    }

    @Test(arguments: [
        ("POST /m/*:countTokens", "/m/gemini-2.5-flash:countTokens", true),
        ("POST /m/*:countTokens", "/m/gemini-2.5-flash:generateContent", false),
        ("POST /m/*:countTokens", "/m/:countTokens", false),
        ("POST /m/*:countTokens", "/m/x:countTokens/more", false),
        ("POST /**/*:countTokens", "/a/b/x:countTokens", true),
    ])
    func customMethodSegments(pattern: String, path: String, matches: Bool) throws {
        #expect(try RoutePattern(parsing: pattern, requireMethod: true).matches(method: "POST", path: path) == matches)
    }
}
