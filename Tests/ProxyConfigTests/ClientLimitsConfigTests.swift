import Testing

@testable import ProxyConfig

/// Issue 12's `[server]` and `[cache]` keys: defaults, values, and exact messages for bad ones.
@Suite("Client limits and deadlines")
struct ClientLimitsConfigTests {
    @Test func defaults() throws {
        let configuration = try ConfigLoader.parse(baseUpstream)
        let server = configuration.server
        #expect(server.trustedProxies.isEmpty)
        #expect(server.getWithBody == .reject)
        #expect(server.maxHeaderFields == 100)
        #expect(server.allowTrace == false)
        #expect(server.clientHeaderTimeout == .seconds(10))
        #expect(server.clientBodyTimeout == .seconds(30))
        #expect(server.keepaliveTimeout == .seconds(60))
        #expect(server.sendTimeout == .seconds(30))
        #expect(server.maxConnections == 10_000)
        #expect(configuration.cache.clientRefresh == .own)
    }

    @Test func values() throws {
        let text = """
            [server]
            trusted_proxies = ["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"]
            get_with_body = "pass"
            max_header_fields = 50
            allow_trace = true
            client_header_timeout = "5s"
            client_body_timeout = "1m"
            keepalive_timeout = "500ms"
            send_timeout = 20
            max_connections = 200
            [cache]
            client_refresh = "ignore"

            """ + baseUpstream + """
            [[rule]]
            name = "voices"
            match = "GET /elevenlabs/v1/voices"
            client_refresh = "shared"
            """
        let configuration = try ConfigLoader.parse(text)
        let server = configuration.server
        #expect(server.trustedProxies.map(\.description) == ["10.0.0.0/8", "192.168.1.7/32", "fd00::/8", "::1/128"])
        #expect(server.getWithBody == .pass)
        #expect(server.maxHeaderFields == 50)
        #expect(server.allowTrace)
        #expect(server.clientHeaderTimeout == .seconds(5))
        #expect(server.clientBodyTimeout == .seconds(60))
        #expect(server.keepaliveTimeout == .milliseconds(500))
        #expect(server.sendTimeout == .seconds(20))
        #expect(server.maxConnections == 200)
        #expect(configuration.cache.clientRefresh == .ignore)
        #expect(configuration.rules.first?.clientRefresh == .shared)
    }

    static let badCases: [BadCase] = [
        BadCase(
            "a CIDR block that is not one",
            "[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n" + baseUpstream,
            "proxy.conf:2: server.trusted_proxies: \"10.0.0.0/33\" has a prefix length that is not 0...32. Fix: write the "
                + "block as address/length with a length from 0 to 32, e.g. \"10.0.0.0/8\"."
        ),
        BadCase(
            "not an address",
            "[server]\ntrusted_proxies = [\"lb.internal\"]\n" + baseUpstream,
            "proxy.conf:2: server.trusted_proxies: \"lb.internal\" is not an IP address or CIDR block. Fix: write an address "
                + "or a CIDR block, e.g. \"10.0.0.0/8\", \"192.168.1.7\" or \"fd00::/8\"."
        ),
        BadCase(
            "host bits set",
            "[server]\ntrusted_proxies = [\"10.1.2.3/8\"]\n" + baseUpstream,
            "proxy.conf:2: server.trusted_proxies: \"10.1.2.3/8\" has bits set past its prefix length. Fix: write the "
                + "network address, \"10.0.0.0/8\"."
        ),
        BadCase(
            "a timeout that is not a duration",
            "[server]\nclient_header_timeout = \"soon\"\n" + baseUpstream,
            "proxy.conf:2: server.client_header_timeout: \"soon\" is not a duration. Fix: write an integer and a unit "
                + "(ms, s, m, h or d), e.g. \"500ms\", \"30s\", \"10m\" or \"1h\"."
        ),
        BadCase(
            "a zero timeout",
            "[server]\nsend_timeout = \"0s\"\n" + baseUpstream,
            "proxy.conf:2: server.send_timeout: \"0s\" must be greater than 0. Fix: write a duration such as \"30s\"."
        ),
        BadCase(
            "get_with_body misspelt",
            "[server]\nget_with_body = \"rejct\"\n" + baseUpstream,
            "proxy.conf:2: server.get_with_body: \"rejct\" is not a get_with_body policy. Fix: did you mean \"reject\"? "
                + "The values are \"reject\" or \"pass\"."
        ),
        BadCase(
            "client_refresh unknown",
            "[cache]\nclient_refresh = \"never\"\n" + baseUpstream,
            "proxy.conf:2: cache.client_refresh: \"never\" is not a client refresh mode. Fix: write \"own\", \"shared\" "
                + "or \"ignore\"."
        ),
        BadCase(
            "max_connections out of range",
            "[server]\nmax_connections = 0\n" + baseUpstream,
            "proxy.conf:2: server.max_connections: 0 is outside 1...1000000. Fix: write a number in that range, e.g. "
                + "max_connections = 10000."
        ),
        BadCase(
            "max_header_fields as a string",
            "[server]\nmax_header_fields = \"100\"\n" + baseUpstream,
            "proxy.conf:2: server.max_header_fields: expected an integer, found a string. Fix: write max_header_fields = 100."
        ),
    ]

    @Test(arguments: Self.badCases)
    func badValues(_ test: BadCase) {
        #expect(problems(test.text, environment: test.environment) == test.expected)
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.255.1.2", true),
        ("10.0.0.0/8", "11.0.0.1", false),
        ("10.0.0.0/8", "::ffff:10.1.2.3", true),
        ("192.168.1.7", "192.168.1.7", true),
        ("192.168.1.7", "192.168.1.8", false),
        ("fd00::/8", "fd12:3456::1", true),
        ("fd00::/8", "fe80::1", false),
        ("::1", "::1", true),
        ("0.0.0.0/0", "203.0.113.9", true),
        ("::/0", "10.0.0.1", false),
    ])
    func addressRanges(range: String, address: String, inside: Bool) throws {
        let parsed = try AddressRange.parse(range)
        let bytes = try #require(IPAddressText.parse(address))
        #expect(parsed.contains(bytes) == inside)
    }

    @Test(arguments: ["1.2.3", "1.2.3.256", "01.2.3.4", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", "1:2:3:4:5:6:7", "g::1", "1.2.3.4/"])
    func notAddresses(_ text: String) {
        #expect((try? AddressRange.parse(text)) == nil)
    }

    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("2001:db8::", "2001:db8::"), ("2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::ffff:1.2.3.4", "::ffff:102:304"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
    ])
    func ipv6Text(_ text: String, _ canonical: String) throws {
        let bytes = try #require(IPAddressText.parse(text))
        #expect(IPAddressText.ipv6(bytes) == canonical)
    }
}
