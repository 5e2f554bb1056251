import Testing

@testable import ProxyConfig

/// Bad [[upstream]], [[rule]] and [[purge]] entries → exact messages.
@Suite("Error messages: upstreams, rules, purges")
struct EntryErrorMessageTests {
    static let upstreamCases: [BadCase] = [
        BadCase(
            "url missing",
            "[[upstream]]\nname = \"gemini\"\nprefix = \"/gemini\"\n",
            "proxy.conf:1: upstream[gemini]: missing required key url. Fix: add url = \"https://api.elevenlabs.io\"."
        ),
        BadCase(
            "not an http URL, entry without a name counted from 1",
            baseUpstream + "[[upstream]]\nprefix = \"/x\"\nurl = \"ftp://x\"\n",
            "proxy.conf:6: upstream[2]: missing required key name. Fix: add name = \"elevenlabs\".",
            "proxy.conf:8: upstream[2].url: \"ftp://x\" is not an http or https URL. Fix: use http://host[:port] "
                + "or https://host[:port]."
        ),
        BadCase(
            "URL with a query",
            "[[upstream]]\nname = \"x\"\nprefix = \"/x\"\nurl = \"https://x.example/v1?key=1\"\n",
            "proxy.conf:4: upstream[x].url: \"https://x.example/v1?key=1\" has a query or fragment. Fix: remove "
                + "everything from \"?\" or \"#\" on; the proxy forwards the client's query."
        ),
        BadCase(
            "URL without a host",
            "[[upstream]]\nname = \"x\"\nprefix = \"/x\"\nurl = \"https:///v1\"\n",
            "proxy.conf:4: upstream[x].url: \"https:///v1\" does not have a valid host. Fix: use http://host[:port] "
                + "or https://host[:port]."
        ),
        BadCase(
            "URL with credentials",
            "[[upstream]]\nname = \"x\"\nprefix = \"/x\"\nurl = \"https://me:pw@x.example\"\n",
            "proxy.conf:4: upstream[x].url: \"https://me:pw@x.example\" contains credentials. Fix: remove "
                + "user:password@ from the URL; clients send their own credentials."
        ),
        BadCase(
            "URL with a bad port",
            "[[upstream]]\nname = \"x\"\nprefix = \"/x\"\nurl = \"http://x.example:0\"\n",
            "proxy.conf:4: upstream[x].url: \"http://x.example:0\" does not have a valid host and port. Fix: use "
                + "http://host[:port] or https://host[:port]."
        ),
        BadCase(
            "URL with an empty path segment",
            "[[upstream]]\nname = \"x\"\nprefix = \"/x\"\nurl = \"http://x.example/a//b\"\n",
            "proxy.conf:4: upstream[x].url: \"http://x.example/a//b\" has an empty path segment. Fix: write the base "
                + "path as /a/b, without \"//\"."
        ),
        BadCase(
            "prefix without a leading slash",
            "[[upstream]]\nname = \"x\"\nprefix = \"gemini\"\nurl = \"https://x.example\"\n",
            "proxy.conf:3: upstream[x].prefix: \"gemini\" does not start with \"/\". Fix: write \"/gemini\"."
        ),
        BadCase(
            "prefix with a trailing slash",
            "[[upstream]]\nname = \"x\"\nprefix = \"/gemini/\"\nurl = \"https://x.example\"\n",
            "proxy.conf:3: upstream[x].prefix: \"/gemini/\" ends with \"/\". Fix: write \"/gemini\"."
        ),
        BadCase(
            "prefix with a wildcard",
            "[[upstream]]\nname = \"x\"\nprefix = \"/v1/*\"\nurl = \"https://x.example\"\n",
            "proxy.conf:3: upstream[x].prefix: \"/v1/*\" is not a literal path. Fix: write a path such as "
                + "\"/elevenlabs\", without wildcards, query, spaces or \"//\"."
        ),
        BadCase(
            "duplicate prefix",
            baseUpstream + "[[upstream]]\nname = \"eleven2\"\nprefix = \"/elevenlabs\"\nurl = \"https://x.example\"\n",
            "proxy.conf:8: upstream[eleven2].prefix: \"/elevenlabs\" is already the prefix of upstream[elevenlabs] "
                + "(line 1). Fix: give each upstream its own prefix."
        ),
        BadCase(
            "duplicate name",
            baseUpstream + "[[upstream]]\nname = \"elevenlabs\"\nprefix = \"/e2\"\nurl = \"https://x.example\"\n",
            "proxy.conf:7: upstream[2].name: \"elevenlabs\" is already the name of the upstream at line 1. "
                + "Fix: give each upstream its own name."
        ),
        BadCase(
            "invalid name",
            "[[upstream]]\nname = \"Eleven Labs\"\nprefix = \"/x\"\nurl = \"https://x.example\"\n",
            "proxy.conf:2: upstream[1].name: \"Eleven Labs\" is not a valid name. Fix: use lower-case letters, "
                + "digits, _ and -, e.g. \"elevenlabs\"."
        ),
        BadCase(
            "key_headers as a single string",
            baseUpstream.replacingOccurrences("\n\n", "\nkey_headers = \"xi-api-key\"\n\n"),
            "proxy.conf:5: upstream[elevenlabs].key_headers: expected an array of strings, found a string. "
                + "Fix: write key_headers = [\"xi-api-key\"]."
        ),
        BadCase(
            "key_headers with a number",
            baseUpstream.replacingOccurrences("\n\n", "\nkey_headers = [\"xi-api-key\", 7]\n\n"),
            "proxy.conf:5: upstream[elevenlabs].key_headers: expected an array of strings, found an integer at "
                + "position 2. Fix: write key_headers = [\"xi-api-key\"]."
        ),
        BadCase(
            "key_headers with a space",
            baseUpstream.replacingOccurrences("\n\n", "\nkey_headers = [\"xi api key\"]\n\n"),
            "proxy.conf:5: upstream[elevenlabs].key_headers: \"xi api key\" is not a header name. Fix: write a "
                + "header name such as \"xi-api-key\"."
        ),
        BadCase(
            "ca_file that does not exist",
            baseUpstream.replacingOccurrences("\n\n", "\nca_file = \"/nonexistent/reprise-ca.pem\"\n\n"),
            "proxy.conf:5: upstream[elevenlabs].ca_file: \"/nonexistent/reprise-ca.pem\" does not exist. Fix: check "
                + "the path; a relative path is read from the directory of the config file."
        ),
        BadCase(
            "ca_file that is a directory",
            baseUpstream.replacingOccurrences("\n\n", "\nca_file = \"/tmp\"\n\n"),
            "proxy.conf:5: upstream[elevenlabs].ca_file: \"/tmp\" is a directory. Fix: name the PEM file itself."
        ),
        BadCase(
            "ca_file on an http upstream",
            "[[upstream]]\nname = \"backend\"\nprefix = \"/\"\nurl = \"http://127.0.0.1:8000\"\nca_file = \"/tmp\"\n",
            "proxy.conf:5: upstream[backend].ca_file: is set, but the upstream url is http, not https. Fix: remove "
                + "ca_file, or use an https:// url."
        ),
    ]

    static let ruleCases: [BadCase] = [
        BadCase(
            "unknown rule key with did-you-mean",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\nttl_overide = true\n",
            "proxy.conf:9: rule[voices]: unknown key \"ttl_overide\". Fix: did you mean ttl_override?"
        ),
        BadCase(
            "unknown rule key without a close one",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\ncolour = \"red\"\n",
            "proxy.conf:9: rule[voices]: unknown key \"colour\". Fix: remove it; [[rule]] takes name, match, ttl, "
                + "ttl_override, tags, key_headers, client_cache_control, cache_status_codes, stale_while_revalidate, "
                + "stale_if_error, cache, cache_body, ignore_body_fields, max_keyed_body, store_if_json, "
                + "store_if_last_event, store_if_content_type, store_if_min_size, hit_drop_headers, "
                + "finish_on_client_abort, key_query_params, key_jwt_claim, cost_header, cost_json, cost_last_event, "
                + "cost_fixed, cost_price, client_controls, client_ttl_max, client_refresh."
        ),
        BadCase(
            "duplicate rule names",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\n\n"
                + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v2/voices\"\n",
            "proxy.conf:11: rule[2].name: \"voices\" is already the name of the rule at line 6. Fix: give each rule "
                + "its own name."
        ),
        BadCase(
            "rule shadowed by an identical match",
            baseUpstream + "[[rule]]\nname = \"a\"\nmatch = \"GET /elevenlabs/v1/voices\"\n\n"
                + "[[rule]]\nname = \"b\"\nmatch = \"GET  /elevenlabs/v1/voices\"\n",
            "proxy.conf:12: rule[b].match: \"GET  /elevenlabs/v1/voices\" is also the match of rule[a] (line 6), which "
                + "comes first and always wins. Fix: remove one of the two rules, or merge them."
        ),
        BadCase(
            "rule no request can reach",
            baseUpstream + "[[rule]]\nname = \"models\"\nmatch = \"GET /openai/v1/models\"\n",
            "proxy.conf:8: rule[models].match: \"GET /openai/v1/models\" is not under any upstream prefix "
                + "(/elevenlabs), so no request would reach this rule. Fix: start the path with an upstream prefix, "
                + "or add an [[upstream]] whose prefix covers it."
        ),
        BadCase(
            "ttl_override without ttl",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\nttl_override = true\n",
            "proxy.conf:9: rule[voices].ttl_override: is true, but the rule has no ttl to override with. Fix: add "
                + "ttl = \"1h\", or remove ttl_override."
        ),
        BadCase(
            "match without a method",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"/elevenlabs/v1/voices\"\n",
            "proxy.conf:8: rule[voices].match: \"/elevenlabs/v1/voices\" has no method. Fix: write it like "
                + "\"GET /elevenlabs/v1/voices\", or \"* /elevenlabs/v1/voices\" for any method."
        ),
        BadCase(
            "match path without a leading slash",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"GET elevenlabs/v1/voices\"\n",
            "proxy.conf:8: rule[voices].match: \"GET elevenlabs/v1/voices\" has a path that does not start with \"/\". "
                + "Fix: start the path with \"/\", e.g. \"/elevenlabs/v1/voices\"."
        ),
        BadCase(
            "** inside a segment",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices**\"\n",
            "proxy.conf:8: rule[voices].match: \"GET /elevenlabs/v1/voices**\" has \"*\" inside the segment "
                + "\"voices**\". Fix: a wildcard must be a whole segment: \"/a/*\" matches one segment, "
                + "\"/a/**\" any number."
        ),
        BadCase(
            "unknown method",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"FETCH /elevenlabs/v1/voices\"\n",
            "proxy.conf:8: rule[voices].match: \"FETCH /elevenlabs/v1/voices\" has an unknown method \"FETCH\". Fix: "
                + "use one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, or * for any method."
        ),
        BadCase(
            "lower-case method",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"get /elevenlabs/v1/voices\"\n",
            "proxy.conf:8: rule[voices].match: \"get /elevenlabs/v1/voices\" has a lower-case method \"get\". "
                + "Fix: write GET."
        ),
        BadCase(
            "status code out of range",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\n"
                + "cache_status_codes = [200, 600]\n",
            "proxy.conf:9: rule[voices].cache_status_codes: 600 is not an HTTP status code. Fix: use codes from "
                + "100 to 599, e.g. [200, 404]."
        ),
        BadCase(
            "empty status code list",
            baseUpstream
                + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\ncache_status_codes = []\n",
            "proxy.conf:9: rule[voices].cache_status_codes: is empty, so nothing could be stored. Fix: list at least "
                + "one status code, or set cache = false to never cache this route."
        ),
        BadCase(
            "cache as a string",
            baseUpstream + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\ncache = \"false\"\n",
            "proxy.conf:9: rule[voices].cache: expected true or false, found a string. Fix: write cache = false."
        ),
        BadCase(
            "tag with a space",
            baseUpstream
                + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\ntags = [\"my voices\"]\n",
            "proxy.conf:9: rule[voices].tags: \"my voices\" is not a valid tag. Fix: use a word such as \"voices\"."
        ),
    ]

    /// A rule tagging "voices" at lines 6-9, so purges start at line 11.
    static let voicesRule =
        baseUpstream
        + "[[rule]]\nname = \"voices\"\nmatch = \"GET /elevenlabs/v1/voices\"\ntags = [\"voices\"]\n\n"

    static let purgeCases: [BadCase] = [
        BadCase(
            "purge without on",
            Self.voicesRule + "[[purge]]\nname = \"clone\"\ntags = [\"voices\"]\n",
            "proxy.conf:11: purge[clone]: missing required key on. Fix: add on = [\"POST /elevenlabs/v1/voices/add\"], "
                + "the writes that trigger this purge."
        ),
        BadCase(
            "purge with an empty on",
            Self.voicesRule + "[[purge]]\nname = \"clone\"\non = []\ntags = [\"voices\"]\n",
            "proxy.conf:13: purge[clone].on: is empty, so this purge would never run. Fix: list the writes that "
                + "trigger it, e.g. on = [\"POST /elevenlabs/v1/voices/add\"]."
        ),
        BadCase(
            "purge that purges nothing",
            Self.voicesRule + "[[purge]]\nname = \"clone\"\non = [\"POST /elevenlabs/v1/voices/add\"]\n",
            "proxy.conf:11: purge[clone]: purges nothing: it has no tags, paths or prefixes. Fix: add tags = "
                + "[\"voices\"], paths or prefixes."
        ),
        BadCase(
            "purge of a tag no rule sets",
            Self.voicesRule
                + "[[purge]]\nname = \"clone\"\non = [\"POST /elevenlabs/v1/voices/add\"]\ntags = [\"voice\"]\n",
            "proxy.conf:14: purge[clone].tags: \"voice\" is not a tag of any rule. Fix: did you mean \"voices\"?"
        ),
        BadCase(
            "purge path with a method",
            Self.voicesRule + "[[purge]]\nname = \"clone\"\non = [\"POST /elevenlabs/v1/voices/add\"]\n"
                + "paths = [\"GET /elevenlabs/v1/voices\"]\n",
            "proxy.conf:14: purge[clone].paths: \"GET /elevenlabs/v1/voices\" has a method, but paths are matched "
                + "whatever the method. Fix: write \"/elevenlabs/v1/voices\"."
        ),
        BadCase(
            "purge prefix with a trailing slash",
            Self.voicesRule + "[[purge]]\nname = \"clone\"\non = [\"POST /elevenlabs/v1/voices/add\"]\n"
                + "prefixes = [\"/elevenlabs/v1/voices/\"]\n",
            "proxy.conf:14: purge[clone].prefixes: \"/elevenlabs/v1/voices/\" ends with \"/\". Fix: write "
                + "\"/elevenlabs/v1/voices\"."
        ),
        BadCase(
            "purge with an unknown scope",
            Self.voicesRule + "[[purge]]\nname = \"clone\"\non = [\"POST /elevenlabs/v1/voices/add\"]\n"
                + "tags = [\"voices\"]\nscope = \"everyone\"\n",
            "proxy.conf:15: purge[clone].scope: \"everyone\" is not a purge scope. Fix: write \"writer\" (only the "
                + "writing credential's entries) or \"all\"."
        ),
        BadCase(
            "purge trigger no request can reach",
            Self.voicesRule + "[[purge]]\nname = \"clone\"\non = [\"POST /v1/voices/add\"]\ntags = [\"voices\"]\n",
            "proxy.conf:13: purge[clone].on: \"POST /v1/voices/add\" is not under any upstream prefix (/elevenlabs), "
                + "so this purge would never run. Fix: start the path with an upstream prefix, or add an [[upstream]] "
                + "whose prefix covers it."
        ),
    ]

    @Test(arguments: Self.upstreamCases)
    func upstream(_ testCase: BadCase) {
        #expect(problems(testCase.text, environment: testCase.environment) == testCase.expected)
    }

    @Test(arguments: Self.ruleCases)
    func rule(_ testCase: BadCase) {
        #expect(problems(testCase.text, environment: testCase.environment) == testCase.expected)
    }

    @Test(arguments: Self.purgeCases)
    func purge(_ testCase: BadCase) {
        #expect(problems(testCase.text, environment: testCase.environment) == testCase.expected)
    }
}

extension String {
    /// Replaces the first occurrence only, to splice keys into `baseUpstream`.
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard let range = self.firstRange(of: target) else {
            return self
        }
        var result = self
        result.replaceSubrange(range, with: replacement)
        return result
    }
}
