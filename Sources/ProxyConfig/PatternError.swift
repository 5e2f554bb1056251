/// Why a route pattern ("METHOD /path" or "/path") is invalid.
public struct PatternError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The pattern as given.
    public var pattern: String
    /// Completes a sentence whose subject is the pattern, e.g. "does not start with \"/\"".
    public var reason: String
    /// How to fix it, as a sentence.
    public var fix: String

    public init(pattern: String, reason: String, fix: String) {
        self.pattern = pattern
        self.reason = reason
        self.fix = fix
    }

    public var description: String {
        "\"\(self.pattern)\" \(self.reason). Fix: \(self.fix)"
    }
}
