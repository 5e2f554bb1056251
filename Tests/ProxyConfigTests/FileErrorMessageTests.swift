import Testing

@testable import ProxyConfig

/// Bad files → exact messages, for the document, [server], [cache], types, units and `${NAME}`.
/// `baseUpstream` fills lines 1-5, so sections in these cases start at line 6.
@Suite("Error messages: document, server, cache")
struct FileErrorMessageTests {
    static let cases: [BadCase] = [
        // MARK: Document
        BadCase(
            "TOML syntax error carries line and column",
            "[server]\nlisten = 0.0.0.0:8080\n",
            "proxy.conf:2: TOML syntax error at column 13: Error while parsing floating-point: expected decimal "
                + "digit or exponent, saw '.'. Fix: check line 2: strings need double quotes, tables are written "
                + "[name] and repeated entries [[name]]."
        ),
        // Found by fuzz/ (proxy-conf): toml++ aborted the process on these headers, and read only up to a NUL.
        BadCase(
            "a table header without a name",
            "[\u{e9}]\n",
            "proxy.conf:1: TOML syntax error at column 2: a table header needs a name (a bare key or a quoted string) "
                + "after \"[\". Fix: check line 1: strings need double quotes, tables are written [name] and repeated "
                + "entries [[name]]."
        ),
        BadCase(
            "a header whose name starts with a combining mark (one character with its \"[\")",
            "[\u{35A}]\n",
            "proxy.conf:1: TOML syntax error at column 2: a table header needs a name (a bare key or a quoted string) "
                + "after \"[\". Fix: check line 1: strings need double quotes, tables are written [name] and repeated "
                + "entries [[name]]."
        ),
        BadCase(
            "a header without a name after a CRLF line end (found by fuzz/proxy-conf)",
            "[server]\r\n[\u{FFFD}cache]\r\n",
            "proxy.conf:2: TOML syntax error at column 2: a table header needs a name (a bare key or a quoted string) "
                + "after \"[\". Fix: check line 2: strings need double quotes, tables are written [name] and repeated "
                + "entries [[name]]."
        ),
        BadCase(
            "a header without a name after a header whose comment holds brackets (found by fuzz/proxy-conf)",
            "[server] # a ] and a [\n[\u{FFFD}cache]\n",
            "proxy.conf:2: TOML syntax error at column 2: a table header needs a name (a bare key or a quoted string) "
                + "after \"[\". Fix: check line 2: strings need double quotes, tables are written [name] and repeated "
                + "entries [[name]]."
        ),
        BadCase(
            "a header without a name after a string that starts with a combining mark (found by fuzz/proxy-conf)",
            "x = [\"\u{59E}a\", \"b\"]\n[/[purge]]\n",
            "proxy.conf:2: TOML syntax error at column 2: a table header needs a name (a bare key or a quoted string) "
                + "after \"[\". Fix: check line 2: strings need double quotes, tables are written [name] and repeated "
                + "entries [[name]]."
        ),
        BadCase(
            "a lone [ on its line",
            baseUpstream + "[\nx = 1\n",
            "proxy.conf:6: TOML syntax error at column 2: a table header needs a name (a bare key or a quoted string) "
                + "after \"[\". Fix: check line 6: strings need double quotes, tables are written [name] and repeated "
                + "entries [[name]]."
        ),
        BadCase(
            "an array-of-tables header with a comment for a name",
            baseUpstream + "  [[ #rule]]\n",
            "proxy.conf:6: TOML syntax error at column 6: a table header needs a name (a bare key or a quoted string) "
                + "after \"[\". Fix: check line 6: strings need double quotes, tables are written [name] and repeated "
                + "entries [[name]]."
        ),
        BadCase(
            "a syntax error before a header without a name comes first",
            "[server]\nlisten = 0.0.0.0:8080\n[#]\n",
            "proxy.conf:2: TOML syntax error at column 13: Error while parsing floating-point: expected decimal "
                + "digit or exponent, saw '.'. Fix: check line 2: strings need double quotes, tables are written "
                + "[name] and repeated entries [[name]]."
        ),
        BadCase(
            "a NUL byte (toml++ would read up to it and ignore the rest)",
            baseUpstream + "[server]\u{0}\n[[upstream]]\nname = 5\n",
            "proxy.conf:6: TOML syntax error at column 9: the file holds a NUL byte. Fix: check line 6: strings need "
                + "double quotes, tables are written [name] and repeated entries [[name]]."
        ),
        BadCase(
            "a header without a name before a NUL byte is reported first (toml++ sees the lines before the NUL)",
            "[{server.listen = 8080\nx = 1\n\"/\u{0}\"\n",
            "proxy.conf:1: TOML syntax error at column 2: a table header needs a name (a bare key or a quoted string) "
                + "after \"[\". Fix: check line 1: strings need double quotes, tables are written [name] and repeated "
                + "entries [[name]]."
        ),
        BadCase(
            "a closing brace inside an array (toml++ aborted on it)",
            baseUpstream + "[server]\nx = [1, }\n",
            "proxy.conf:7: TOML syntax error at column 9: \"}\" inside an array: an array is closed with \"]\". Fix: check "
                + "line 7: strings need double quotes, tables are written [name] and repeated entries [[name]]."
        ),
        BadCase(
            "a syntax error before a multi-line array with a closing brace comes first",
            baseUpstream + "[server]\nlisten = 0.0.0.0:8080\nx = [\n  1,\n}\n",
            "proxy.conf:7: TOML syntax error at column 13: Error while parsing floating-point: expected decimal "
                + "digit or exponent, saw '.'. Fix: check line 7: strings need double quotes, tables are written "
                + "[name] and repeated entries [[name]]."
        ),
        BadCase(
            "empty file has no upstream",
            "",
            "proxy.conf: upstream: no [[upstream]] is defined, so the proxy has nowhere to send requests. "
                + "Fix: add an [[upstream]] with name, prefix and url."
        ),
        BadCase(
            "unknown section with did-you-mean",
            baseUpstream + "[sever]\nlisten = \"0.0.0.0:8080\"\n",
            "proxy.conf:6: unknown section [sever]. Fix: did you mean [server]?"
        ),
        BadCase(
            "unknown array of tables suggests the right brackets",
            baseUpstream + "[[rules]]\nname = \"x\"\n",
            "proxy.conf:6: unknown section [[rules]]. Fix: did you mean [[rule]]?"
        ),
        BadCase(
            "unknown section without a close match",
            baseUpstream + "[memcached]\nurl = \"127.0.0.1:11211\"\n",
            "proxy.conf:6: unknown section [memcached]. Fix: remove it; proxy.conf has [server], [cache], [log], "
                + "[metrics], [redis], [[upstream]], [[rule]] and [[purge]]."
        ),
        BadCase(
            "server key at the top of the file",
            "listen = \"0.0.0.0:8080\"\n" + baseUpstream,
            "proxy.conf:1: listen: unknown key at the top of the file. Fix: move it under [server]."
        ),
        BadCase(
            "[[server]] instead of [server]",
            baseUpstream + "[[server]]\nlisten = \"0.0.0.0:8080\"\n",
            "proxy.conf:6: server: must be a single table, not an array. "
                + "Fix: write [server] once, followed by its keys."
        ),
        BadCase(
            "[upstream] instead of [[upstream]]",
            "[upstream]\nname = \"x\"\n",
            "proxy.conf:1: upstream: must be an array of tables, not a table. "
                + "Fix: write [[upstream]] before each entry."
        ),
        // MARK: Types
        BadCase(
            "integer where a string belongs",
            baseUpstream + "[server]\nlisten = 8080\n",
            "proxy.conf:7: server.listen: expected a string, found an integer. Fix: write listen = \"0.0.0.0:8080\"."
        ),
        BadCase(
            "boolean where a duration belongs",
            baseUpstream + "[server]\nshutdown_timeout = true\n",
            "proxy.conf:7: server.shutdown_timeout: expected a duration, found true or false. "
                + "Fix: write shutdown_timeout = \"10s\"."
        ),
        BadCase(
            "decimal number where a size belongs",
            baseUpstream + "[cache]\nmemory = 1.5\n",
            "proxy.conf:7: cache.memory: expected a size, found a decimal number. Fix: write memory = \"256MiB\"."
        ),
        BadCase(
            "unknown server key with did-you-mean",
            baseUpstream + "[server]\nlisen = \"0.0.0.0:8080\"\n",
            "proxy.conf:7: server: unknown key \"lisen\". Fix: did you mean listen?"
        ),
        // MARK: Durations and sizes
        BadCase(
            "duration in words",
            baseUpstream + "[server]\nshutdown_timeout = \"10 minutes\"\n",
            "proxy.conf:7: server.shutdown_timeout: \"10 minutes\" is not a duration. Fix: write an integer and a "
                + "unit (ms, s, m, h or d), e.g. \"500ms\", \"30s\", \"10m\" or \"1h\"."
        ),
        BadCase(
            "fractional duration",
            baseUpstream + "[cache]\nstale_if_error = \"1.5h\"\n",
            "proxy.conf:7: cache.stale_if_error: \"1.5h\" is not a whole number. Fix: use a smaller unit instead "
                + "of a fraction, e.g. \"90m\" rather than \"1.5h\"."
        ),
        BadCase(
            "negative integer duration",
            baseUpstream + "[server]\nshutdown_timeout = -5\n",
            "proxy.conf:7: server.shutdown_timeout: -5 is negative. Fix: write an integer and a unit (ms, s, m, h "
                + "or d), e.g. \"500ms\", \"30s\", \"10m\" or \"1h\"."
        ),
        BadCase(
            "zero upstream idle timeout",
            "[[upstream]]\nname = \"elevenlabs\"\nprefix = \"/elevenlabs\"\nurl = \"https://api.elevenlabs.io\"\n"
                + "idle_timeout = \"0s\"\n",
            "proxy.conf:5: upstream[elevenlabs].idle_timeout: \"0s\" must be greater than 0. Fix: write a duration such as \"4s\"."
        ),
        BadCase(
            "zero timeout",
            baseUpstream + "[cache]\ncoalesce_timeout = \"0s\"\n",
            "proxy.conf:7: cache.coalesce_timeout: \"0s\" must be greater than 0. "
                + "Fix: write a duration such as \"10s\"."
        ),
        BadCase(
            "decimal size unit",
            baseUpstream + "[cache]\nmemory = \"64MB\"\n",
            "proxy.conf:7: cache.memory: \"64MB\" uses the decimal unit MB. Fix: write \"64MiB\"; sizes use the "
                + "binary units B, KiB, MiB and GiB."
        ),
        BadCase(
            "size unit in the wrong case",
            baseUpstream + "[server]\nmax_header_bytes = \"32kib\"\n",
            "proxy.conf:7: server.max_header_bytes: \"32kib\" has an unknown unit \"kib\". Fix: write \"32KiB\"."
        ),
        BadCase(
            "size in words",
            baseUpstream + "[server]\nmax_request_body = \"lots\"\n",
            "proxy.conf:7: server.max_request_body: \"lots\" is not a size. Fix: write an integer and a unit (B, KiB, "
                + "MiB or GiB), e.g. \"32KiB\" or \"64MiB\"."
        ),
        BadCase(
            "zero size",
            baseUpstream + "[cache]\nmemory = 0\n",
            "proxy.conf:7: cache.memory: 0 must be greater than 0. Fix: write a size such as \"256MiB\"."
        ),
        BadCase(
            "an upstream head limit below 1KiB",
            "[[upstream]]\nname = \"a\"\nprefix = \"/\"\nurl = \"http://127.0.0.1:8000\"\nmax_upstream_header_bytes = \"512B\"\n",
            "proxy.conf:5: upstream[a].max_upstream_header_bytes: \"512B\" is smaller than 1KiB. Fix: write a size from "
                + "\"1KiB\" to \"1MiB\", such as \"64KiB\"."
        ),
        BadCase(
            "an upstream head limit above 1MiB",
            "[[upstream]]\nname = \"a\"\nprefix = \"/\"\nurl = \"http://127.0.0.1:8000\"\nmax_upstream_header_bytes = 2097152\n",
            "proxy.conf:5: upstream[a].max_upstream_header_bytes: 2097152 is larger than 1MiB. Fix: write a size from "
                + "\"1KiB\" to \"1MiB\", such as \"64KiB\"."
        ),
        BadCase(
            "an upstream head limit in a decimal unit",
            "[[upstream]]\nname = \"a\"\nprefix = \"/\"\nurl = \"http://127.0.0.1:8000\"\nmax_upstream_header_bytes = \"64KB\"\n",
            "proxy.conf:5: upstream[a].max_upstream_header_bytes: \"64KB\" uses the decimal unit KB. Fix: write \"64KiB\"; sizes "
                + "use the binary units B, KiB, MiB and GiB."
        ),
        // MARK: [server]
        BadCase(
            "listen without a port",
            baseUpstream + "[server]\nlisten = \"localhost\"\n",
            "proxy.conf:7: server.listen: \"localhost\" is not a host:port address. Fix: write host:port, e.g. "
                + "\"0.0.0.0:8080\", \"127.0.0.1:9090\" or \"[::1]:8080\"."
        ),
        BadCase(
            "listen port out of range",
            baseUpstream + "[server]\nlisten = \"0.0.0.0:80800\"\n",
            "proxy.conf:7: server.listen: \"0.0.0.0:80800\" has a port outside 0...65535. Fix: write host:port, e.g. "
                + "\"0.0.0.0:8080\", \"127.0.0.1:9090\" or \"[::1]:8080\"."
        ),
        BadCase(
            "admin_listen without admin_token",
            baseUpstream + "[server]\nadmin_listen = \"127.0.0.1:9090\"\n",
            "proxy.conf:7: server.admin_token: is required when admin_listen is set. Fix: add admin_token = "
                + "\"${REPRISE_ADMIN_TOKEN}\" and export REPRISE_ADMIN_TOKEN=<16+ random characters>."
        ),
        BadCase(
            "admin token too short, from the environment",
            baseUpstream + "[server]\nadmin_listen = \"127.0.0.1:9090\"\nadmin_token = \"${TOKEN}\"\n",
            "proxy.conf:8: server.admin_token: is too short: an admin token needs at least 16 characters. "
                + "Fix: use a long random token, e.g. from `openssl rand -hex 24`.",
            environment: ["TOKEN": "hunter2"]
        ),
        BadCase(
            "admin_listen on the listen address",
            baseUpstream + "[server]\nlisten = \"127.0.0.1:8080\"\nadmin_listen = \"127.0.0.1:8080\"\n"
                + "admin_token = \"0123456789abcdef\"\n",
            "proxy.conf:8: server.admin_listen: \"127.0.0.1:8080\" is the same address as listen. Fix: give the "
                + "admin API its own port, e.g. \"127.0.0.1:9090\"."
        ),
        // MARK: ${NAME}
        BadCase(
            "unset environment variable",
            baseUpstream + "[server]\nadmin_listen = \"127.0.0.1:9090\"\nadmin_token = \"${REPRISE_ADMIN_TOKEN}\"\n",
            "proxy.conf:8: server.admin_token: \"${REPRISE_ADMIN_TOKEN}\" needs the environment variable "
                + "REPRISE_ADMIN_TOKEN, which is not set. Fix: export REPRISE_ADMIN_TOKEN=... before starting "
                + "reprise, or write ${REPRISE_ADMIN_TOKEN:-default}."
        ),
        BadCase(
            "unterminated ${",
            baseUpstream + "[cache]\nkey_secret = \"${SECRET\"\n",
            "proxy.conf:7: cache.key_secret: \"${SECRET\" has a \"${\" without a closing \"}\". Fix: write ${NAME}."
        ),
        BadCase(
            "invalid variable name",
            baseUpstream + "[cache]\nkey_secret = \"${1SECRET}\"\n",
            "proxy.conf:7: cache.key_secret: \"${1SECRET}\" has an invalid variable name in \"${1SECRET}\". Fix: use "
                + "letters, digits and _ (not starting with a digit), e.g. ${REPRISE_ADMIN_TOKEN}."
        ),
        BadCase(
            "invalid value from the environment is not echoed",
            baseUpstream + "[server]\nlisten = \"${LISTEN}\"\n",
            "proxy.conf:7: server.listen: \"${LISTEN}\" does not expand to a valid value. Fix: set the environment "
                + "variable to a value such as \"0.0.0.0:8080\".",
            environment: ["LISTEN": "secret-ish"]
        ),
        BadCase(
            "duration too long",
            baseUpstream + "[server]\nshutdown_timeout = \"99999999999999999999s\"\n",
            "proxy.conf:7: server.shutdown_timeout: \"99999999999999999999s\" is too long a duration. Fix: write an "
                + "integer and a unit (ms, s, m, h or d), e.g. \"500ms\", \"30s\", \"10m\" or \"1h\"."
        ),
        BadCase(
            "size too large",
            baseUpstream + "[cache]\nmemory = \"99999999GiB\"\n",
            "proxy.conf:7: cache.memory: \"99999999GiB\" is too large. Fix: write an integer and a unit (B, KiB, "
                + "MiB or GiB), e.g. \"32KiB\" or \"64MiB\"."
        ),
        // MARK: [cache]
        BadCase(
            "max_object larger than memory",
            baseUpstream + "[cache]\nmemory = \"16MiB\"\nmax_object = \"32MiB\"\n",
            "proxy.conf:8: cache.max_object: max_object (\"32MiB\") is larger than memory (\"16MiB\"). "
                + "Fix: make max_object at most memory, or raise memory."
        ),
        BadCase(
            "default max_object larger than memory",
            baseUpstream + "[cache]\nmemory = \"4MiB\"\n",
            "proxy.conf:7: cache.memory: max_object (the default 8MiB) is larger than memory (\"4MiB\"). "
                + "Fix: make max_object at most memory, or raise memory."
        ),
        BadCase(
            "key_secret too short",
            baseUpstream + "[cache]\nkey_secret = \"${SECRET}\"\n",
            "proxy.conf:7: cache.key_secret: is too short: the credential-hashing secret needs at least 16 bytes. "
                + "Fix: use a long random secret, e.g. from `openssl rand -hex 32`.",
            environment: ["SECRET": "tiny-secret"]
        ),
    ]

    @Test(arguments: Self.cases)
    func message(_ testCase: BadCase) {
        #expect(problems(testCase.text, environment: testCase.environment) == testCase.expected)
    }
}
