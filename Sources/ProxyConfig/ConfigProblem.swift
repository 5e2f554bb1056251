/// One thing wrong with a configuration file, written for the person who has to fix it.
///
/// `description` reads like a compiler diagnostic:
/// `proxy.conf:12: upstream[2].url: "ftp://x" is not an http or https URL. Fix: use http://host[:port] ...`
/// It never contains a secret: values of `admin_token`, `key_secret`, `key_jwt_claim`'s secrets and anything
/// expanded from `${NAME}` are referred to by their key or by the text as written in the file.
///
/// A warning (`severity == .warning`) does not stop the file from loading: it names a setting that works, but not
/// as its author probably meant (`key_jwt_claim` without a secret caches nothing). Its description reads
/// `proxy.conf:73: upstream[kling].key_jwt_claim: warning: ... Fix: ...`.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: Sendable, Equatable {
        case error
        case warning
    }

    /// The file as the user named it, e.g. "proxy.conf".
    public var file: String
    /// 1-based line in the file, when the problem can be pinned to one.
    public var line: Int?
    /// Key path, e.g. "upstream[gemini].url", "rule[voices].ttl" or "upstream[2].name" for an entry
    /// without a usable name. Empty for problems with the file as a whole (unreadable, TOML syntax).
    public var key: String
    /// What is wrong, as a sentence.
    public var message: String
    /// How to fix it, as a sentence.
    public var fix: String
    public var severity: Severity

    public init(
        file: String = "proxy.conf", line: Int?, key: String, message: String, fix: String, severity: Severity = .error
    ) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        self.fix = fix
        self.severity = severity
    }

    public var description: String {
        var text = self.file
        if let line = self.line {
            text += ":\(line)"
        }
        text += ": "
        if !self.key.isEmpty {
            text += "\(self.key): "
        }
        if self.severity == .warning {
            text += "warning: "
        }
        text += self.message
        if !self.fix.isEmpty {
            text += " Fix: \(self.fix)"
        }
        return text
    }
}

// Thrown by the loader's file reading before any decoding starts.
extension ConfigProblem: Error {}
