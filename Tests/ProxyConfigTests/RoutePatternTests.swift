import Testing

@testable import ProxyConfig

@Suite("RoutePattern")
struct RoutePatternTests {
    struct MatchCase: CustomTestStringConvertible, Sendable {
        var pattern: String
        var method: String
        var path: String
        var matches: Bool
        var testDescription: String { "\(self.pattern) \(self.matches ? "~" : "!~") \(self.method) \(self.path)" }
    }

    static let matchCases: [MatchCase] = [
        MatchCase(pattern: "GET /v1/voices", method: "GET", path: "/v1/voices", matches: true),
        MatchCase(pattern: "GET /v1/voices", method: "HEAD", path: "/v1/voices", matches: false),
        MatchCase(pattern: "GET /v1/voices", method: "GET", path: "/v1/voices/", matches: false),
        MatchCase(pattern: "GET /v1/voices", method: "GET", path: "/v1/voicesx", matches: false),
        MatchCase(pattern: "GET /v1/voices", method: "GET", path: "/v1", matches: false),
        MatchCase(pattern: "* /v1/voices", method: "DELETE", path: "/v1/voices", matches: true),
        MatchCase(pattern: "GET /v1/voices/*", method: "GET", path: "/v1/voices/abc", matches: true),
        MatchCase(pattern: "GET /v1/voices/*", method: "GET", path: "/v1/voices/", matches: false),
        MatchCase(pattern: "GET /v1/voices/*", method: "GET", path: "/v1/voices/a/b", matches: false),
        MatchCase(pattern: "POST /v1/voices/*/edit", method: "POST", path: "/v1/voices/abc/edit", matches: true),
        MatchCase(pattern: "POST /v1/voices/*/edit", method: "POST", path: "/v1/voices/edit", matches: false),
        MatchCase(pattern: "GET /v1/**", method: "GET", path: "/v1", matches: true),
        MatchCase(pattern: "GET /v1/**", method: "GET", path: "/v1/", matches: true),
        MatchCase(pattern: "GET /v1/**", method: "GET", path: "/v1/a/b/c", matches: true),
        MatchCase(pattern: "GET /v1/**", method: "GET", path: "/v2/a", matches: false),
        MatchCase(pattern: "GET /**/edit", method: "GET", path: "/a/b/edit", matches: true),
        MatchCase(pattern: "GET /**/edit", method: "GET", path: "/edit", matches: true),
        MatchCase(pattern: "GET /**/edit", method: "GET", path: "/a/edit/b", matches: false),
        MatchCase(pattern: "GET /**/x/**/y", method: "GET", path: "/a/x/b/x/c/y", matches: true),
        MatchCase(pattern: "GET /**/x/*/y", method: "GET", path: "/x/x/q/y", matches: true),
        MatchCase(pattern: "GET /", method: "GET", path: "/", matches: true),
        MatchCase(pattern: "GET /", method: "GET", path: "/a", matches: false),
        MatchCase(pattern: "GET /**", method: "GET", path: "/", matches: true),
        MatchCase(pattern: "GET /**", method: "GET", path: "", matches: false),
        MatchCase(pattern: "GET /v1/caf\u{E9}", method: "GET", path: "/v1/caf\u{E9}", matches: true),
        MatchCase(
            pattern: "GET /v1beta/models/*", method: "GET", path: "/v1beta/models/gemini:generate", matches: true),
    ]

    @Test(arguments: Self.matchCases)
    func matching(_ testCase: MatchCase) throws {
        let pattern = try RoutePattern(parsing: testCase.pattern, requireMethod: true)
        #expect(pattern.matches(method: testCase.method, path: testCase.path) == testCase.matches)
    }

    @Test func pathOnlyPatterns() throws {
        let pattern = try RoutePattern(parsing: "/api/v1/tts/voices/**", requireMethod: false)
        #expect(pattern.method == nil && pattern.description == "/api/v1/tts/voices/**")
        #expect(pattern.matches(path: "/api/v1/tts/voices/abc"))
        #expect(pattern.matches(method: "PUT", path: "/api/v1/tts/voices"))
        #expect(!pattern.matches(path: "/api/v1/tts"))
        let any = try RoutePattern(parsing: "*   /x", requireMethod: true)
        #expect(any.method == nil && any.description == "* /x")
    }

    @Test(arguments: [
        ("", "\"\" is not \"METHOD /path\". Fix: write it like \"GET /v1/voices\"."),
        ("GET /a b", "\"GET /a b\" is not \"METHOD /path\". Fix: write it like \"GET /v1/voices\"."),
        ("GET /a//b", "\"GET /a//b\" has an empty path segment. Fix: remove the extra \"/\"."),
        (
            "GET /a?x=1",
            "\"GET /a?x=1\" contains a query or fragment. Fix: remove everything from \"?\" on; patterns "
                + "match the path only."
        ),
        (
            "GET /a/b*",
            "\"GET /a/b*\" has \"*\" inside the segment \"b*\". Fix: a wildcard must be a whole segment: "
                + "\"/a/*\" matches one segment, \"/a/**\" any number."
        ),
    ])
    func parseErrors(_ text: String, _ expected: String) {
        #expect(throws: PatternError.self) { try RoutePattern(parsing: text, requireMethod: true) }
        do {
            _ = try RoutePattern(parsing: text, requireMethod: true)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func pathOnlyParseError() {
        #expect(
            throws: PatternError(
                pattern: "/a b c", reason: "is not a path pattern", fix: "write it like \"/v1/voices\".")
        ) {
            try RoutePattern(parsing: "/a b c", requireMethod: false)
        }
    }

    @Test(arguments: [
        ("GET /elevenlabs/v1/voices", "/elevenlabs", true),
        ("GET /elevenlabs", "/elevenlabs", true),
        ("GET /eleven", "/elevenlabs", false),
        ("GET /elevenlabsx/v1", "/elevenlabs", false),
        ("GET /*/v1", "/elevenlabs", true),
        ("GET /**", "/a/b", true),
        ("GET /a", "/a/b", false),
        ("GET /anything", "/", true),
    ])
    func reachability(_ pattern: String, _ prefix: String, _ expected: Bool) throws {
        let pattern = try RoutePattern(parsing: pattern, requireMethod: true)
        #expect(pattern.canMatch(underPrefix: prefix) == expected)
    }
}
