import Foundation
import JWTVerification
import Testing

@testable import ProxyConfig

@Suite("Loading good files")
struct ConfigLoaderTests {
    /// Every key of every section, as the README documents them.
    static let everyKey = """
        [server]
        listen = "0.0.0.0:8080"
        admin_listen = "127.0.0.1:9090"
        admin_token = "${REPRISE_ADMIN_TOKEN}"
        max_request_body = "64MiB"
        max_header_bytes = "32KiB"
        shutdown_timeout = "10s"

        [cache]
        memory = "256MiB"
        max_object = "32MiB"
        stale_while_revalidate = "0s"
        stale_if_error = "10m"
        coalesce_timeout = "10s"
        key_secret = "${REPRISE_KEY_SECRET}"

        [[upstream]]
        name = "elevenlabs"
        prefix = "/elevenlabs"
        url = "https://API.elevenlabs.io:8443/base/"
        key_headers = ["XI-API-Key"]
        ca_file = "/etc/hosts"
        connect_timeout = "500ms"
        read_timeout = 300
        idle_timeout = "2s"
        max_upstream_header_bytes = "128KiB"

        [[rule]]                             # first match wins
        name = "voices"
        match = "GET /elevenlabs/v1/voices"
        ttl = "1h"
        ttl_override = true
        tags = ["voices"]
        key_headers = ["xi-api-key"]
        client_cache_control = "private, max-age=60"
        cache_status_codes = [200, 404]
        stale_while_revalidate = "30s"
        stale_if_error = "1h"
        cache = true

        [[rule]]
        name = "tts"
        match = "POST /elevenlabs/v1/text-to-speech/*"
        cache_body = true
        ttl = "30d"

        [[purge]]
        name = "voice-clone-writes"
        on = ["POST /elevenlabs/v1/voices/add", "DELETE /elevenlabs/v1/voices/*"]
        tags = ["voices"]
        paths = ["/elevenlabs/v1/voices", "/elevenlabs/v1/voices/**"]
        prefixes = ["/elevenlabs/v2/voices"]
        scope = "all"
        """

    static let secrets = [
        "REPRISE_ADMIN_TOKEN": "admin-token-0123456789",
        "REPRISE_KEY_SECRET": "key-secret-0123456789",
    ]

    @Test func everyKeyIsDecoded() throws {
        let config = try ConfigLoader.parse(Self.everyKey, environment: Self.secrets)
        #expect(
            config.server
                == ServerSettings(
                    listen: HostPort(host: "0.0.0.0", port: 8080),
                    adminListen: HostPort(host: "127.0.0.1", port: 9090),
                    adminToken: "admin-token-0123456789",
                    maxRequestBody: 64 * 1024 * 1024,
                    maxHeaderBytes: 32 * 1024,
                    shutdownTimeout: .seconds(10)
                )
        )
        #expect(
            config.cache
                == CacheSettings(
                    memory: 256 << 20,
                    maxObject: 32 << 20,
                    staleWhileRevalidate: .zero,
                    staleIfError: .seconds(600),
                    coalesceTimeout: .seconds(10),
                    keySecret: "key-secret-0123456789"
                )
        )
        let url = UpstreamURL(scheme: "https", host: "api.elevenlabs.io", port: 8443, basePath: "/base")
        #expect(
            config.upstreams == [
                UpstreamSettings(
                    name: "elevenlabs",
                    prefix: "/elevenlabs",
                    url: url,
                    keyHeaders: ["xi-api-key"],
                    caFile: "/etc/hosts",
                    connectTimeout: .milliseconds(500),
                    readTimeout: .seconds(300),
                    idleTimeout: .seconds(2),
                    maxUpstreamHeaderBytes: 128 << 10
                )
            ]
        )
        #expect(url.authority == "api.elevenlabs.io:8443" && url.isTLS)
        let voices = try #require(config.rules.first)
        #expect(
            voices
                == RuleSettings(
                    name: "voices",
                    match: try RoutePattern(parsing: "GET /elevenlabs/v1/voices", requireMethod: true),
                    ttl: .seconds(3600),
                    ttlOverride: true,
                    tags: ["voices"],
                    keyHeaders: ["xi-api-key"],
                    clientCacheControl: "private, max-age=60",
                    cacheStatusCodes: [200, 404],
                    staleWhileRevalidate: .seconds(30),
                    staleIfError: .seconds(3600),
                    cache: true,
                    cacheBody: false,
                    line: 28
                )
        )
        #expect(config.rules[1].cacheBody && config.rules[1].ttl == .seconds(30 * 86400) && config.rules[1].line == 41)
        let purge = try #require(config.purges.first)
        #expect(purge.on.map(\.description) == ["POST /elevenlabs/v1/voices/add", "DELETE /elevenlabs/v1/voices/*"])
        #expect(purge.paths.map(\.description) == ["/elevenlabs/v1/voices", "/elevenlabs/v1/voices/**"])
        #expect(purge.tags == ["voices"] && purge.prefixes == ["/elevenlabs/v2/voices"])
        #expect(purge.scope == .all && purge.line == 47)
    }

    @Test func defaults() throws {
        let config = try ConfigLoader.parse(baseUpstream)
        #expect(config.server == ServerSettings())
        #expect(config.server.listen == HostPort(host: "127.0.0.1", port: 8080))
        #expect(config.server.maxRequestBody == 64 << 20 && config.server.maxHeaderBytes == 32 << 10)
        #expect(config.cache == CacheSettings())
        #expect(config.cache.memory == 256 << 20 && config.cache.maxObject == 8 << 20)
        let upstream = try #require(config.upstreams.first)
        #expect(upstream.connectTimeout == .seconds(5) && upstream.readTimeout == .seconds(300))
        #expect(
            upstream.url.port == 443 && upstream.url.authority == "api.elevenlabs.io" && upstream.url.basePath == "")
        #expect(config.rules.isEmpty && config.purges.isEmpty)
        #expect(config.summary == "1 upstream (elevenlabs), 0 rules, 0 purge rules; listen 127.0.0.1:8080")
    }

    @Test func summaryNamesUpstreamsAndAddresses() throws {
        let text =
            baseUpstream + """
                [[upstream]]
                name = "backend"
                prefix = "/"
                url = "http://127.0.0.1:8000"

                [server]
                listen = "${LISTEN}"
                admin_listen = "[::1]:9090"
                admin_token = "${TOKEN:-local-only-token-0000}"
                """
        let config = try ConfigLoader.parse(text, environment: ["LISTEN": "0.0.0.0:8080"])
        #expect(config.server.listen == HostPort(host: "0.0.0.0", port: 8080))
        #expect(config.server.adminListen == HostPort(host: "::1", port: 9090))
        #expect(config.server.adminToken == "local-only-token-0000")
        // An address from the environment shows as written.
        #expect(
            config.summary
                == "2 upstreams (elevenlabs, backend), 0 rules, 0 purge rules; listen ${LISTEN}, admin [::1]:9090"
        )
    }

    @Test func secretsNeverAppearInMessagesOrSummary() throws {
        let secret = "s3cr3t-VALUE-never-shown"
        let environment = ["TOKEN": secret, "SECRET": secret, "SHORT": "x"]
        let bad = [
            baseUpstream + "[server]\nadmin_listen = \"nonsense\"\nadmin_token = 42\n",
            baseUpstream + "[server]\nadmin_listen = \"127.0.0.1:1\"\nadmin_token = \"${SHORT}\"\n",
            baseUpstream + "[cache]\nkey_secret = \"${SHORT}\"\nmemory = \"${SECRET}\"\n",
            baseUpstream + "[server]\nlisten = \"${SECRET}\"\n",
            "[[upstream]]\nname = \"x\"\nprefix = \"${SECRET}\"\nurl = \"${SECRET}\"\nkey_headers = [\"${SECRET}\"]\n",
            // A rule under no upstream prefix lists the prefixes: as written, not expanded (found by fuzz/proxy-conf).
            "[[upstream]]\nname = \"x\"\nprefix = \"/a${SECRET}\"\nurl = \"http://127.0.0.1:1\"\n"
                + "[[rule]]\nname = \"r\"\nmatch = \"GET /elsewhere\"\nttl = \"1m\"\n",
        ]
        for text in bad {
            let messages = problems(text, environment: environment)
            #expect(!messages.isEmpty)
            #expect(!messages.contains(where: { $0.contains(secret) }), "\(messages)")
        }
        let good = baseUpstream + "[server]\nadmin_listen = \"127.0.0.1:9090\"\nadmin_token = \"${TOKEN}\"\n"
        let config = try ConfigLoader.parse(good, environment: environment)
        #expect(config.server.adminToken == secret)
        #expect(!config.summary.contains(secret))
    }

    @Test func everyProblemIsReportedInLineOrder() {
        let text =
            baseUpstream + """
                [cache]
                memory = "64MB"

                [server]
                listen = 8080
                shutdown_timeout = "soon"
                """
        let messages = problems(text)
        #expect(messages.count == 3)
        #expect(
            messages.map { $0.split(separator: ":").prefix(2).joined(separator: ":") } == [
                "proxy.conf:7", "proxy.conf:10", "proxy.conf:11",
            ])
        do {
            _ = try ConfigLoader.parse(text)
        } catch {
            #expect(error.description.hasPrefix("proxy.conf: 3 problems\nproxy.conf:7: cache.memory: "))
        }
    }

    // MARK: - Files

    /// /work/main/proxy.conf, also when this folder is reached through a symlink.
    static let exampleFile = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("proxy.conf").path

    @Test func theShippedExampleIsValidWithoutEnvironment() throws {
        let config = try ConfigLoader.load(path: Self.exampleFile, environment: [:])
        #expect(config.upstreams.map(\.name) == ["elevenlabs", "gemini", "kling", "backend"])
        #expect(config.server.adminToken == "change-me-local-only-token")
        #expect(config.server.adminListen == HostPort(host: "127.0.0.1", port: 9090))
        #expect(config.purges.count == 2)
        let voices = try #require(config.rules.first(where: { $0.name == "elevenlabs-voice" }))
        #expect(voices.match.matches(method: "GET", path: "/elevenlabs/v1/voices/abc123"))
        let upstreams = Dictionary(uniqueKeysWithValues: config.upstreams.map { ($0.name, $0) })
        #expect(upstreams["gemini"]?.keyQueryParams == ["key"])
        // Without KLING_SECRET_KEY, Kling is forwarded uncached, and check says so.
        #expect(upstreams["kling"]?.keyJWTClaim == JWTClaimKey(header: "authorization", claim: "iss"))
        #expect(config.warnings.map(\.key) == ["upstream[kling].key_jwt_claim.secret"])
        #expect(config.warnings.first?.description.contains("warning: \"${KLING_SECRET_KEY:-}\" is empty") == true)
        #expect(upstreams["kling"]?.keyHeaders == [])
        #expect(upstreams["backend"]?.keyHeaders == ["xi-api-key"])
        let rules = Dictionary(uniqueKeysWithValues: config.rules.map { ($0.name, $0) })
        let hitDrops = [
            "character-cost", "request-id", "history-item-id", "current-concurrent-requests",
            "maximum-concurrent-requests", "tts-latency-ms",
        ]
        for name in ["elevenlabs-tts", "elevenlabs-tts-stream"] {
            let tts = try #require(rules[name])
            #expect(tts.cacheBody && tts.ttl == .seconds(30 * 86400) && tts.costHeader == "character-cost")
            #expect(tts.hitDropHeaders == hitDrops && tts.finishOnClientAbort)
        }
        let streamPath = "/elevenlabs/v1/text-to-speech/v/stream"
        #expect(rules["elevenlabs-tts-stream"]?.match.matches(method: "POST", path: streamPath) == true)
        let gemini = try #require(rules["gemini-generate"])
        #expect(gemini.cacheBody && gemini.ttl == .seconds(7 * 86400) && gemini.ignoreBodyFields == [])
        #expect(gemini.match.matches(method: "POST", path: "/gemini/v1beta/models/gemini-2.0-flash:generateContent"))
        let kling = try #require(rules["kling-image-task"])
        #expect(
            kling.storeIf.json == [
                JSONCondition(pointer: "/code", values: ["0"], detail: "error-object"),
                JSONCondition(pointer: "/data/task_status", values: ["succeed", "failed"], detail: "task-running"),
            ]
        )
        let count = try #require(rules["gemini-count-tokens"])
        #expect(count.match.matches(method: "POST", path: "/gemini/v1/models/gemini-2.5-flash:countTokens"))
        #expect(!count.match.matches(method: "POST", path: "/gemini/v1/models/gemini-2.5-flash:generateContent"))
        #expect(gemini.storeIf.contentTypes == ["application/json", "text/event-stream"])
        #expect(gemini.storeIf.json.map(\.detail) == ["error-object", "blocked", "finish-reason", "no-text"])
        #expect(gemini.storeIf.lastEvent == gemini.storeIf.json)
        #expect(gemini.cost == CostSettings(
            jsonPointers: ["/usageMetadata/totalTokenCount"], lastEventPointers: ["/usageMetadata/totalTokenCount"]))
        #expect(kling.ttl == .seconds(86400) && !kling.cacheBody)
        let triggers = config.purges.flatMap(\.on)
        for (method, path) in [
            ("POST", "/api/v1/tts/clone/create"), ("PUT", "/api/v1/tts/clone/v1"), ("DELETE", "/api/v1/tts/clone/v1"),
            ("POST", "/elevenlabs/v1/voices/add"), ("POST", "/elevenlabs/v1/voices/v1/edit"),
            ("DELETE", "/elevenlabs/v1/voices/v1"),
        ] {
            #expect(triggers.contains(where: { $0.matches(method: method, path: path) }), "\(method) \(path)")
        }
        #expect(
            config.summary == "4 upstreams (elevenlabs, gemini, kling, backend), 11 rules (4 keyed on the request "
                + "body), 2 purge rules; "
                + "listen 0.0.0.0:8080, admin 127.0.0.1:9090"
        )
    }

    @Test func theShippedExampleVerifiesKlingTokensWithTheSecretFromTheEnvironment() throws {
        let config = try ConfigLoader.load(path: Self.exampleFile, environment: ["KLING_SECRET_KEY": "kling-sk"])
        let kling = try #require(config.upstreams.first(where: { $0.name == "kling" })?.keyJWTClaim)
        #expect(kling.verifier.keys == .shared(.secret("kling-sk")) && kling.verifier.leeway == 30)
        #expect(config.warnings.isEmpty)
    }

    @Test func missingFile() {
        #expect {
            try ConfigLoader.load(path: "/nonexistent/proxy.conf", environment: [:])
        } throws: { error in
            (error as? ConfigError)?.description
                == "/nonexistent/proxy.conf: the file does not exist. Fix: check the path, or name your proxy.conf: "
                + "reprise check PATH, reprise --config PATH."
        }
    }

    @Test func directoryAndBinaryFiles() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("proxyconfig-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = directory.appendingPathComponent("binary.conf")
        try Data([0xFF, 0xFE, 0x00]).write(to: binary)
        for (path, expected) in [
            (directory.path, "\(directory.path): is a directory, not a file. Fix: name the proxy.conf file itself."),
            (binary.path, "\(binary.path): the file is not UTF-8 text. Fix: save proxy.conf as UTF-8."),
        ] {
            do {
                _ = try ConfigLoader.load(path: path, environment: [:])
                Issue.record("loaded \(path)")
            } catch {
                #expect(error.description == expected)
            }
        }
    }

    @Test func relativeCAFileIsResolvedFromTheConfigDirectory() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("proxyconfig-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "pem".write(to: directory.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        let configPath = directory.appendingPathComponent("proxy.conf").path
        try (baseUpstream.replacingOccurrences("\n\n", "\nca_file = \"ca.pem\"\n\n"))
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(path: configPath, environment: [:])
        #expect(config.upstreams[0].caFile == directory.appendingPathComponent("ca.pem").path)
    }
}
