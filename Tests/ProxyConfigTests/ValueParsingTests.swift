import Testing

@testable import ProxyConfig

@Suite("Durations, sizes, addresses, URLs, ${NAME}")
struct ValueParsingTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("30s", .seconds(30)), ("10m", .seconds(600)),
        ("1h", .seconds(3600)), ("30d", .seconds(30 * 86400)), ("45", .seconds(45)), ("0s", .zero),
    ])
    func durations(_ text: String, _ expected: Duration) throws {
        #expect(try ConfigUnits.duration(text) == expected)
    }

    @Test(arguments: ["", "s", "10 s", "10sec", "1.5h", "-1s", "99999999999999999999s", "9999999999999d"])
    func badDurations(_ text: String) {
        #expect(throws: ValueError.self) { try ConfigUnits.duration(text) }
    }

    @Test(arguments: [
        ("512B", 512), ("32KiB", 32 << 10), ("64MiB", 64 << 20), ("1GiB", 1 << 30), ("1000", 1000),
    ])
    func sizes(_ text: String, _ expected: Int) throws {
        #expect(try ConfigUnits.size(text) == expected)
    }

    @Test(arguments: [
        ("64GB", "uses the decimal unit GB", "write \"64GiB\"; sizes use the binary units B, KiB, MiB and GiB."),
        ("64kb", "uses the decimal unit kb", "write \"64KiB\"; sizes use the binary units B, KiB, MiB and GiB."),
        ("64M", "has an unknown unit \"M\"", "write \"64MiB\"."),
        (
            "1.5MiB", "is not a whole number",
            "use a smaller unit instead of a fraction, e.g. \"1536KiB\" rather than \"1.5MiB\"."
        ),
        ("99999999GiB", "is too large", ConfigUnits.sizeFix),
        ("64 MiB", "is not a size", ConfigUnits.sizeFix),
    ])
    func badSizes(_ text: String, _ reason: String, _ fix: String) {
        #expect(throws: ValueError(reason: reason, fix: fix)) { try ConfigUnits.size(text) }
    }

    @Test(arguments: [
        ("0.0.0.0:8080", HostPort(host: "0.0.0.0", port: 8080)),
        ("localhost:0", HostPort(host: "localhost", port: 0)),
        ("[::1]:9090", HostPort(host: "::1", port: 9090)),
    ])
    func hostPorts(_ text: String, _ expected: HostPort) {
        #expect(HostPort(parsing: text) == expected)
        #expect(expected.description == text)
    }

    @Test(arguments: ["8080", ":8080", "host:", "host:http", "::1:80", "[::1]8080", "a b:80", "host:-1"])
    func badHostPorts(_ text: String) {
        #expect(HostPort(parsing: text) == nil)
    }

    @Test(arguments: [
        ("https://api.elevenlabs.io", "https", "api.elevenlabs.io", 443, "", "api.elevenlabs.io"),
        ("HTTP://127.0.0.1:8000/", "http", "127.0.0.1", 8000, "", "127.0.0.1:8000"),
        ("http://backend:80/api/v1//", "http", "backend", 80, "/api/v1", "backend"),
        ("https://[::1]:8443/v1", "https", "::1", 8443, "/v1", "[::1]:8443"),
    ])
    func upstreamURLs(
        _ text: String, _ scheme: String, _ host: String, _ port: Int, _ base: String, _ authority: String
    )
        throws
    {
        let url = try UpstreamURL.parse(text)
        #expect(url == UpstreamURL(scheme: scheme, host: host, port: port, basePath: base))
        #expect(url.authority == authority)
    }

    @Test(arguments: [
        ("user:pw@host", "https://user:pw@host", "contains credentials"),
        ("bad port", "https://host:0", "does not have a valid host and port"),
        ("empty segment", "https://host/a//b", "has an empty path segment"),
        ("no scheme", "api.elevenlabs.io", "is not an http or https URL"),
    ])
    func badUpstreamURLs(_ name: String, _ text: String, _ reason: String) {
        #expect(performing: { try UpstreamURL.parse(text) }, throws: { ($0 as? ValueError)?.reason == reason })
    }

    @Test(arguments: [
        ("plain", "plain", false),
        ("${A}", "alpha", true),
        ("x-${A}-${B}", "x-alpha-", true),
        ("${UNSET:-fallback}", "fallback", true),
        ("${B:-fallback}", "fallback", true),
        ("${A:-fallback}", "alpha", true),
        ("${UNSET:-}", "", true),
        ("cost $5", "cost $5", false),
        ("$${A}", "${A}", false),
        ("$$${A}", "$${A}", false),
    ])
    func environmentExpansion(_ text: String, _ value: String, _ expanded: Bool) throws {
        let environment = ["A": "alpha", "B": ""]
        #expect(
            try EnvironmentExpander.expand(text, environment: environment)
                == EnvironmentExpander.Expansion(value: value, expanded: expanded)
        )
    }

    @Test(
        arguments: [
            ("ttl_overide", ["ttl", "ttl_override", "tags"], "ttl_override"),
            ("lisen", ["listen", "admin_listen"], "listen"),
            ("Listen", ["listen"], "listen"),
            ("colour", ["name", "match", "cache"], nil),
            ("rules", ["server", "cache", "upstream", "rule", "purge"], "rule"),
        ] as [(String, [String], String?)])
    func suggestions(_ word: String, _ candidates: [String], _ expected: String?) {
        #expect(Suggestion.closest(to: word, in: candidates) == expected)
    }
}
