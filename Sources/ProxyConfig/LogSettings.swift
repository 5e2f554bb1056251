/// `[log]`: where the access log goes and how its lines are written.
public struct LogSettings: Sendable, Equatable {
    /// Where access-log lines go; `.off` writes none.
    public var access: AccessLogDestination
    public var format: AccessLogFormat

    public init(access: AccessLogDestination = .off, format: AccessLogFormat = .json) {
        self.access = access
        self.format = format
    }
}

/// `access = "off" | "stdout" | "<path>"`.
public enum AccessLogDestination: Sendable, Equatable {
    case off
    case stdout
    /// Appended to; a relative path in the file is resolved against the config file's directory.
    case file(String)
}

/// `format = "json" | "logfmt"`: one JSON object, or one line of `key=value` pairs, per request.
public enum AccessLogFormat: String, Sendable, Equatable, CaseIterable {
    case json
    case logfmt
}
