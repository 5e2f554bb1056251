import Foundation

// MARK: - [log], [metrics]

extension ConfigDecoder {
    /// Words `access` takes besides a path. A value with neither "/" nor "." is read as one of them,
    /// so that a typo ("stdot") is reported instead of becoming a file beside the config.
    static let accessKeywords = ["off", "stdout"]

    static let accessFix =
        "write access = \"off\", \"stdout\" or a file path such as \"/var/log/reprise/access.log\" "
        + "(a relative path is read from the directory of the config file)."

    mutating func decodeLog(_ table: TableContext) -> LogSettings {
        var settings = LogSettings()
        if let access = self.string(table, "access") {
            settings.access = self.accessDestination(table, access) ?? settings.access
        }
        if let format = self.string(table, "format") {
            settings.format = self.accessFormat(table, format) ?? settings.format
        }
        return settings
    }

    mutating func decodeMetrics(_ table: TableContext) -> MetricsSettings {
        var settings = MetricsSettings()
        settings.enabled = self.bool(table, "enabled") ?? settings.enabled
        return settings
    }

    private mutating func accessFormat(_ table: TableContext, _ format: ConfigString) -> AccessLogFormat? {
        if let known = AccessLogFormat(rawValue: format.value) {
            return known
        }
        let names = AccessLogFormat.allCases.map(\.rawValue)
        let fix: String
        if !format.fromEnvironment, let suggestion = Suggestion.closest(to: format.value, in: names) {
            fix = "did you mean \"\(suggestion)\"?"
        } else {
            fix = "write format = \"json\" or format = \"logfmt\"."
        }
        self.reportInvalid(table, "format", format, reason: "is not a log format", fix: fix)
        return nil
    }

    /// `off`, `stdout`, or a file whose directory exists (the proxy creates the file itself).
    private mutating func accessDestination(_ table: TableContext, _ access: ConfigString) -> AccessLogDestination? {
        let value = access.value
        switch value {
        case "off":
            return .off
        case "stdout":
            return .stdout
        default:
            break
        }
        guard value.contains("/") || value.contains(".") else {
            let fix: String
            if !access.fromEnvironment, let suggestion = Suggestion.closest(to: value, in: Self.accessKeywords) {
                fix = "did you mean \"\(suggestion)\"? For a file of that name, write \"./\(value)\"."
            } else {
                fix = Self.accessFix
            }
            self.reportInvalid(table, "access", access, reason: "is not a log destination", fix: fix)
            return nil
        }
        var path = value
        if !path.hasPrefix("/"), let base = self.baseDirectory {
            path = URL(fileURLWithPath: base).appendingPathComponent(path).path
        }
        var isDirectory: ObjCBool = false
        let isExistingDirectory =
            FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        if path.hasSuffix("/") || isExistingDirectory {
            self.report(
                table,
                "access",
                "\(access.display) is a directory.",
                fix: "name the log file itself, such as \"/var/log/reprise/access.log\"."
            )
            return nil
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            self.report(
                table,
                "access",
                "\(access.display) is in a directory that does not exist.",
                fix: "create the directory, or correct the path; a relative path is read from the directory "
                    + "of the config file."
            )
            return nil
        }
        return .file(path)
    }
}
