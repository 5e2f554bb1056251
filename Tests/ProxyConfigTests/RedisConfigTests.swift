import Testing

@testable import ProxyConfig

/// `[redis]`: URLs, defaults and the exact message for each bad file. `baseUpstream` fills lines 1-5.
@Suite("[redis]")
struct RedisConfigTests {
    struct URLCase: CustomTestStringConvertible, Sendable {
        var name: String
        var url: String
        var expected: RedisEndpoint
        var testDescription: String { self.name }
    }

    static let urlCases: [URLCase] = [
        URLCase(name: "host and port", url: "redis://127.0.0.1:6380", expected: RedisEndpoint(host: "127.0.0.1", port: 6380)),
        URLCase(name: "default port and database", url: "redis://cache.internal", expected: RedisEndpoint(host: "cache.internal")),
        URLCase(name: "database", url: "redis://127.0.0.1:6379/3", expected: RedisEndpoint(host: "127.0.0.1", database: 3)),
        URLCase(name: "trailing slash is database 0", url: "redis://h:1/", expected: RedisEndpoint(host: "h", port: 1)),
        URLCase(
            name: "password only",
            url: "redis://:s3cret@h:6379/1",
            expected: RedisEndpoint(host: "h", password: "s3cret", database: 1)
        ),
        URLCase(
            name: "user and password (ACL)",
            url: "redis://app:pw@h:6379",
            expected: RedisEndpoint(host: "h", username: "app", password: "pw")
        ),
        URLCase(name: "lone userinfo is the password", url: "redis://pw@h", expected: RedisEndpoint(host: "h", password: "pw")),
        URLCase(name: "password with @ inside", url: "redis://:a@b@h", expected: RedisEndpoint(host: "h", password: "a@b")),
        URLCase(name: "IPv6", url: "redis://[::1]:6390/2", expected: RedisEndpoint(host: "::1", port: 6390, database: 2)),
    ]

    @Test(arguments: Self.urlCases)
    func parsesURL(_ c: URLCase) throws {
        #expect(try RedisEndpoint.parse(c.url) == c.expected)
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let endpoint = try RedisEndpoint.parse("redis://app:topsecret@h:7000/4")
        #expect(endpoint.description == "redis://h:7000/4")
    }

    @Test func absentSectionMeansSingleInstance() throws {
        let config = try ConfigLoader.parse(baseUpstream)
        #expect(config.redis == nil)
    }

    @Test func decodesEveryKey() throws {
        let text = baseUpstream + """
            [redis]
            url = "redis://:${REDIS_PASSWORD}@10.0.0.5:6379/2"
            key_prefix = "books:"
            connect_timeout = "1s"
            command_timeout = "100ms"
            max_object = "2MiB"
            purge_ack_timeout = "50ms"
            coalesce_lease = "750ms"

            """
        let config = try ConfigLoader.parse(text, environment: ["REDIS_PASSWORD": "pw-from-env"])
        let redis = try #require(config.redis)
        #expect(redis.endpoint == RedisEndpoint(host: "10.0.0.5", password: "pw-from-env", database: 2))
        #expect(redis.keyPrefix == "books:")
        #expect(redis.connectTimeout == .seconds(1))
        #expect(redis.commandTimeout == .milliseconds(100))
        #expect(redis.maxObject == 2 << 20)
        #expect(redis.purgeAckTimeout == .milliseconds(50))
        #expect(redis.coalesceLease == .milliseconds(750))
    }

    @Test func defaults() throws {
        let config = try ConfigLoader.parse(baseUpstream + "[redis]\nurl = \"redis://127.0.0.1:6379\"\n")
        #expect(config.redis == RedisSettings(endpoint: RedisEndpoint(host: "127.0.0.1")))
        #expect(config.redis?.coalesceLease == .seconds(2))
    }

    static let badCases: [BadCase] = [
        BadCase(
            "missing url",
            baseUpstream + "[redis]\nkey_prefix = \"x:\"\n",
            "proxy.conf:6: redis: missing required key url. Fix: add url = \"redis://127.0.0.1:6379/0\"."
        ),
        BadCase(
            "not a redis URL",
            baseUpstream + "[redis]\nurl = \"http://127.0.0.1:6379\"\n",
            "proxy.conf:7: redis.url: \"http://127.0.0.1:6379\" is not a redis:// URL. Fix: write url = "
                + "\"redis://127.0.0.1:6379/0\", with a password as \"redis://:${REDIS_PASSWORD}@host:6379/0\"."
        ),
        BadCase(
            "port out of range",
            baseUpstream + "[redis]\nurl = \"redis://h:70000\"\n",
            "proxy.conf:7: redis.url: \"redis://h:70000\" has a port outside 1...65535. Fix: write url = "
                + "\"redis://127.0.0.1:6379/0\", with a password as \"redis://:${REDIS_PASSWORD}@host:6379/0\"."
        ),
        BadCase(
            "database not a number",
            baseUpstream + "[redis]\nurl = \"redis://h:6379/zero\"\n",
            "proxy.conf:7: redis.url: \"redis://h:6379/zero\" has a database that is not a number. Fix: write url = "
                + "\"redis://127.0.0.1:6379/0\", with a password as \"redis://:${REDIS_PASSWORD}@host:6379/0\"."
        ),
        BadCase(
            "a bad URL with a password never echoes it",
            baseUpstream + "[redis]\nurl = \"redis://:hunter2@h:99999\"\n",
            "proxy.conf:7: redis.url: \"redis://:***@h:99999\" has a port outside 1...65535. Fix: write url = "
                + "\"redis://127.0.0.1:6379/0\", with a password as \"redis://:${REDIS_PASSWORD}@host:6379/0\"."
        ),
        BadCase(
            "password in plain text",
            baseUpstream + "[redis]\nurl = \"redis://:hunter2@h:6379/0\"\n",
            "proxy.conf:7: redis.url: holds a password in plain text. Fix: keep secrets out of the file: write url = "
                + "\"redis://:${REDIS_PASSWORD}@h:6379/0\" and export REDIS_PASSWORD."
        ),
        BadCase(
            "TLS is refused with a reason",
            baseUpstream + "[redis]\nurl = \"rediss://h:6379\"\n",
            "proxy.conf:7: redis.url: \"rediss://h:6379\" uses TLS (rediss://), which Reprise does not support yet. "
                + "Fix: use redis:// on a private network, or a local TLS tunnel."
        ),
        BadCase(
            "zero command timeout",
            baseUpstream + "[redis]\nurl = \"redis://h\"\ncommand_timeout = \"0s\"\n",
            "proxy.conf:8: redis.command_timeout: \"0s\" must be greater than 0. Fix: write a duration such as \"250ms\"."
        ),
        BadCase(
            "zero coalesce lease",
            baseUpstream + "[redis]\nurl = \"redis://h\"\ncoalesce_lease = \"0s\"\n",
            "proxy.conf:8: redis.coalesce_lease: \"0s\" must be greater than 0. Fix: write a duration such as \"2s\"."
        ),
        BadCase(
            "a coalesce lease that is not a duration",
            baseUpstream + "[redis]\nurl = \"redis://h\"\ncoalesce_lease = \"soon\"\n",
            "proxy.conf:8: redis.coalesce_lease: \"soon\" is not a duration. Fix: write an integer and a unit (ms, s, m, h or d), "
                + "e.g. \"500ms\", \"30s\", \"10m\" or \"1h\"."
        ),
        BadCase(
            "a coalesce lease of the wrong type",
            baseUpstream + "[redis]\nurl = \"redis://h\"\ncoalesce_lease = true\n",
            "proxy.conf:8: redis.coalesce_lease: expected a duration, found true or false. Fix: write coalesce_lease = \"2s\"."
        ),
        BadCase(
            "unknown key with did-you-mean",
            baseUpstream + "[redis]\nurl = \"redis://h\"\nkey_prefx = \"a:\"\n",
            "proxy.conf:8: redis: unknown key \"key_prefx\". Fix: did you mean key_prefix?"
        ),
    ]

    @Test(arguments: Self.badCases)
    func reportsBadFile(_ bad: BadCase) {
        #expect(problems(bad.text, environment: bad.environment) == bad.expected)
    }
}
