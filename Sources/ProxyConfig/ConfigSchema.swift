/// The sections and keys proxy.conf knows, each key with an example used in fixes
/// ("write ttl = \"1h\"."). Anything not listed here is an unknown key.
enum ConfigSchema {
    struct Section {
        var name: String
        /// `[[name]]` (array of tables) rather than `[name]`.
        var isArray: Bool
        /// Key and an example value, written as TOML.
        var keys: [(name: String, example: String)]
        /// The value of a key (`store_if_json = { ... }`), not a section of the file.
        var isInline = false

        var header: String {
            if self.isInline {
                return self.name
            }
            return self.isArray ? "[[\(self.name)]]" : "[\(self.name)]"
        }

        func example(for key: String) -> String? {
            self.keys.first(where: { $0.name == key })?.example
        }
    }

    static let server = Section(
        name: "server",
        isArray: false,
        keys: [
            ("listen", "\"0.0.0.0:8080\""),
            ("admin_listen", "\"127.0.0.1:9090\""),
            ("admin_token", "\"${REPRISE_ADMIN_TOKEN}\""),
            ("max_request_body", "\"64MiB\""),
            ("max_header_bytes", "\"32KiB\""),
            ("shutdown_timeout", "\"10s\""),
            ("max_header_fields", "100"),
            ("trusted_proxies", "[\"10.0.0.0/8\"]"),
            ("get_with_body", "\"reject\""),
            ("allow_trace", "false"),
            ("client_header_timeout", "\"10s\""),
            ("client_body_timeout", "\"30s\""),
            ("keepalive_timeout", "\"60s\""),
            ("send_timeout", "\"30s\""),
            ("max_connections", "10000"),
        ]
    )

    static let cache = Section(
        name: "cache",
        isArray: false,
        keys: [
            ("memory", "\"256MiB\""),
            ("max_object", "\"8MiB\""),
            ("stale_while_revalidate", "\"30s\""),
            ("stale_if_error", "\"10m\""),
            ("coalesce_timeout", "\"10s\""),
            ("key_secret", "\"${REPRISE_KEY_SECRET}\""),
            ("client_refresh", "\"own\""),
            ("disk_path", "\"cache\""),
            ("disk_size", "\"20GiB\""),
            ("disk_max_object", "\"256MiB\""),
        ]
    )

    static let log = Section(
        name: "log",
        isArray: false,
        keys: [
            ("access", "\"stdout\""),
            ("format", "\"json\""),
        ]
    )

    static let metrics = Section(
        name: "metrics",
        isArray: false,
        keys: [
            ("enabled", "true"),
        ]
    )

    static let redis = Section(
        name: "redis",
        isArray: false,
        keys: [
            ("url", "\"redis://127.0.0.1:6379/0\""),
            ("key_prefix", "\"reprise:\""),
            ("connect_timeout", "\"500ms\""),
            ("command_timeout", "\"250ms\""),
            ("max_object", "\"1MiB\""),
            ("purge_ack_timeout", "\"250ms\""),
            ("coalesce_lease", "\"2s\""),
        ]
    )

    static let upstream = Section(
        name: "upstream",
        isArray: true,
        keys: [
            ("name", "\"elevenlabs\""),
            ("prefix", "\"/elevenlabs\""),
            ("url", "\"https://api.elevenlabs.io\""),
            ("key_headers", "[\"xi-api-key\"]"),
            ("ca_file", "\"/etc/ssl/private-ca.pem\""),
            ("connect_timeout", "\"5s\""),
            ("read_timeout", "\"300s\""),
            ("idle_timeout", "\"4s\""),
            ("max_upstream_header_bytes", "\"64KiB\""),
            ("key_query_params", "[\"key\"]"),
            ("key_jwt_claim", Self.jwtClaimExample),
        ]
    )

    static let rule = Section(
        name: "rule",
        isArray: true,
        keys: [
            ("name", "\"voices\""),
            ("match", "\"GET /elevenlabs/v1/voices\""),
            ("ttl", "\"1h\""),
            ("ttl_override", "true"),
            ("tags", "[\"voices\"]"),
            ("key_headers", "[\"xi-api-key\"]"),
            ("client_cache_control", "\"private, max-age=60\""),
            ("cache_status_codes", "[200, 404]"),
            ("stale_while_revalidate", "\"30s\""),
            ("stale_if_error", "\"1h\""),
            ("cache", "false"),
            ("cache_body", "true"),
            ("ignore_body_fields", "[\"/user\", \"/stream\"]"),
            ("max_keyed_body", "\"1MiB\""),
            ("store_if_json", "{ pointer = \"/data/task_status\", in = [\"succeed\", \"failed\"] }"),
            ("store_if_last_event", "[{ pointer = \"/candidates/0/finishReason\", in = [\"STOP\"] }]"),
            ("store_if_content_type", "[\"audio/*\"]"),
            ("store_if_min_size", "\"1B\""),
            ("hit_drop_headers", "[\"character-cost\", \"request-id\"]"),
            ("finish_on_client_abort", "false"),
            ("key_query_params", "[\"key\"]"),
            ("key_jwt_claim", Self.jwtClaimExample),
            ("cost_header", "\"character-cost\""),
            ("cost_json", "\"/usageMetadata/totalTokenCount\""),
            ("cost_last_event", "\"/usageMetadata/totalTokenCount\""),
            ("cost_fixed", "1"),
            ("cost_price", "0.0000003"),
            ("client_controls", "true"),
            ("client_ttl_max", "\"30d\""),
            ("client_refresh", "\"own\""),
        ]
    )

    static let jwtClaimExample = "{ header = \"Authorization\", claim = \"iss\", secret = \"${KLING_SECRET_KEY}\" }"

    /// The inline table of a `store_if_json` or `store_if_last_event` condition.
    static func jsonCondition(named name: String) -> Section {
        Section(
            name: name,
            isArray: false,
            keys: [
                ("pointer", "\"/data/task_status\""),
                ("in", "[\"succeed\", \"failed\"]"),
                ("absent", "true"),
                ("present", "true"),
                ("detail", "\"finish-reason\""),
            ],
            isInline: true
        )
    }

    /// The inline table of `key_jwt_claim`.
    static let jwtClaim = Section(
        name: "key_jwt_claim",
        isArray: false,
        keys: [
            ("header", "\"Authorization\""),
            ("claim", "\"iss\""),
            ("secret", "\"${KLING_SECRET_KEY}\""),
            ("secrets", "{ \"ak-a\" = \"${KLING_SK_A}\", \"ak-b\" = \"${KLING_SK_B}\" }"),
            ("public_key_file", "\"jwt-public.pem\""),
            ("leeway", "\"30s\""),
        ],
        isInline: true
    )

    static let purge = Section(
        name: "purge",
        isArray: true,
        keys: [
            ("name", "\"voice-clone-writes\""),
            ("on", "[\"POST /elevenlabs/v1/voices/add\"]"),
            ("tags", "[\"voices\"]"),
            ("paths", "[\"/elevenlabs/v1/voices/**\"]"),
            ("prefixes", "[\"/elevenlabs/v1/voices\"]"),
            ("scope", "\"all\""),
        ]
    )

    static let sections = [Self.server, Self.cache, Self.log, Self.metrics, Self.redis, Self.upstream, Self.rule, Self.purge]

    static func section(named name: String) -> Section? {
        Self.sections.first(where: { $0.name == name })
    }
}
