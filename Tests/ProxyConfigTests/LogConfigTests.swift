import Foundation
import Testing

@testable import ProxyConfig

/// `[log]` and `[metrics]`: what valid files decode to, and the exact message for each bad one.
/// `baseUpstream` fills lines 1-5, so sections in these cases start at line 6.
@Suite("[log] and [metrics]")
struct LogConfigTests {
    // MARK: - Valid files

    struct GoodCase: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        var log: LogSettings
        var metrics = MetricsSettings()
        var environment: [String: String] = [:]

        var testDescription: String { self.name }
    }

    static let goodCases: [GoodCase] = [
        GoodCase(name: "absent sections: no access log, JSON, metrics on", text: "", log: LogSettings()),
        GoodCase(
            name: "stdout as logfmt",
            text: "[log]\naccess = \"stdout\"\nformat = \"logfmt\"\n",
            log: LogSettings(access: .stdout, format: .logfmt)
        ),
        GoodCase(name: "off written out", text: "[log]\naccess = \"off\"\n", log: LogSettings(access: .off)),
        GoodCase(
            name: "absolute file path in an existing directory",
            text: "[log]\naccess = \"/tmp/reprise-access.log\"\n",
            log: LogSettings(access: .file("/tmp/reprise-access.log"))
        ),
        GoodCase(
            name: "relative path stays as written when parsing text",
            text: "[log]\naccess = \"./access.log\"\n",
            log: LogSettings(access: .file("./access.log"))
        ),
        GoodCase(
            name: "path from the environment",
            text: "[log]\naccess = \"${ACCESS_LOG:-/tmp/a.log}\"\n",
            log: LogSettings(access: .file("/tmp/b.log")),
            environment: ["ACCESS_LOG": "/tmp/b.log"]
        ),
        GoodCase(
            name: "metrics off",
            text: "[metrics]\nenabled = false\n",
            log: LogSettings(),
            metrics: MetricsSettings(enabled: false)
        ),
    ]

    @Test(arguments: Self.goodCases)
    func decodes(_ good: GoodCase) throws {
        let config = try ConfigLoader.parse(baseUpstream + good.text, environment: good.environment)
        #expect(config.log == good.log)
        #expect(config.metrics == good.metrics)
    }

    @Test func existingCallersGetTheDefaults() {
        let config = ProxyConfiguration(upstreams: [])
        #expect(config.log == LogSettings(access: .off, format: .json))
        #expect(config.metrics.enabled)
    }

    @Test func relativeFileIsResolvedFromTheConfigDirectory() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("proxyconfig-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("logs"),
            withIntermediateDirectories: true
        )
        defer { try? FileManager.default.removeItem(at: directory) }
        let configPath = directory.appendingPathComponent("proxy.conf").path
        try (baseUpstream + "[log]\naccess = \"logs/access.log\"\n")
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(path: configPath, environment: [:])
        #expect(config.log.access == .file(directory.appendingPathComponent("logs/access.log").path))
    }

    // MARK: - Bad files

    static let badCases: [BadCase] = [
        BadCase(
            "unknown format with did-you-mean",
            baseUpstream + "[log]\nformat = \"jsn\"\n",
            "proxy.conf:7: log.format: \"jsn\" is not a log format. Fix: did you mean \"json\"?"
        ),
        BadCase(
            "unknown format without a close match",
            baseUpstream + "[log]\nformat = \"xml\"\n",
            "proxy.conf:7: log.format: \"xml\" is not a log format. Fix: write format = \"json\" or "
                + "format = \"logfmt\"."
        ),
        BadCase(
            "format of the wrong type",
            baseUpstream + "[log]\nformat = 1\n",
            "proxy.conf:7: log.format: expected a string, found an integer. Fix: write format = \"json\"."
        ),
        BadCase(
            "misspelled stdout is not taken for a file",
            baseUpstream + "[log]\naccess = \"stdot\"\n",
            "proxy.conf:7: log.access: \"stdot\" is not a log destination. Fix: did you mean \"stdout\"? "
                + "For a file of that name, write \"./stdot\"."
        ),
        BadCase(
            "empty destination",
            baseUpstream + "[log]\naccess = \"\"\n",
            "proxy.conf:7: log.access: \"\" is not a log destination. Fix: write access = \"off\", \"stdout\" or a "
                + "file path such as \"/var/log/reprise/access.log\" (a relative path is read from the directory "
                + "of the config file)."
        ),
        BadCase(
            "file in a directory that does not exist",
            baseUpstream + "[log]\naccess = \"/nonexistent-reprise/access.log\"\n",
            "proxy.conf:7: log.access: \"/nonexistent-reprise/access.log\" is in a directory that does not exist. "
                + "Fix: create the directory, or correct the path; a relative path is read from the directory of "
                + "the config file."
        ),
        BadCase(
            "a directory instead of a file",
            baseUpstream + "[log]\naccess = \"/tmp/\"\n",
            "proxy.conf:7: log.access: \"/tmp/\" is a directory. Fix: name the log file itself, such as "
                + "\"/var/log/reprise/access.log\"."
        ),
        BadCase(
            "destination of the wrong type",
            baseUpstream + "[log]\naccess = true\n",
            "proxy.conf:7: log.access: expected a string, found true or false. Fix: write access = \"stdout\"."
        ),
        BadCase(
            "bad destination from the environment does not echo the expansion",
            baseUpstream + "[log]\naccess = \"${ACCESS_LOG}\"\n",
            "proxy.conf:7: log.access: \"${ACCESS_LOG}\" does not expand to a valid value. Fix: set the "
                + "environment variable to a value such as \"stdout\".",
            environment: ["ACCESS_LOG": "stdot"]
        ),
        BadCase(
            "unknown log key with did-you-mean",
            baseUpstream + "[log]\nacess = \"stdout\"\n",
            "proxy.conf:7: log: unknown key \"acess\". Fix: did you mean access?"
        ),
        BadCase(
            "metrics flag of the wrong type",
            baseUpstream + "[metrics]\nenabled = \"yes\"\n",
            "proxy.conf:7: metrics.enabled: expected true or false, found a string. Fix: write enabled = true."
        ),
        BadCase(
            "log key at the top of the file",
            "format = \"json\"\n" + baseUpstream,
            "proxy.conf:1: format: unknown key at the top of the file. Fix: move it under [log]."
        ),
        BadCase(
            "misspelled section",
            baseUpstream + "[logs]\naccess = \"stdout\"\n",
            "proxy.conf:6: unknown section [logs]. Fix: did you mean [log]?"
        ),
        BadCase(
            "[[metrics]] instead of [metrics]",
            baseUpstream + "[[metrics]]\nenabled = true\n",
            "proxy.conf:6: metrics: must be a single table, not an array. "
                + "Fix: write [metrics] once, followed by its keys."
        ),
    ]

    @Test(arguments: Self.badCases)
    func message(_ bad: BadCase) {
        #expect(problems(bad.text, environment: bad.environment) == bad.expected)
    }
}
