/// The sections and keys proxy.conf knows, each key with an example used in fixes
/// ("write ttl = \"1h\"."). Anything not listed here is an unknown key.
enum ConfigSchema {
    struct Section {
        var name: String
        /// `[[name]]` (array of tables) rather than `[name]`.
        var isArray: Bool
        /// Key and an example value, written as TOML.
        var keys: [(name: String, example: String)]

        var header: String {
            self.isArray ? "[[\(self.name)]]" : "[\(self.name)]"
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
        ]
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

    static let sections = [Self.server, Self.cache, Self.upstream, Self.rule, Self.purge]

    static func section(named name: String) -> Section? {
        Self.sections.first(where: { $0.name == name })
    }
}
