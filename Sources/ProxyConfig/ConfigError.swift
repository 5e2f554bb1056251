/// Every problem found in a configuration file, not just the first, ordered by line; and the warnings found
/// with them.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [ConfigProblem]
    /// What would have been warnings had the file loaded (see `ProxyConfiguration.warnings`).
    public var warnings: [ConfigProblem]

    public init(file: String, problems: [ConfigProblem], warnings: [ConfigProblem] = []) {
        self.file = file
        self.problems = problems
        self.warnings = warnings
    }

    /// One problem per line, a leading count when there is more than one, then the warnings.
    public var description: String {
        var lines = self.problems.map(\.description)
        if lines.count > 1 {
            lines.insert("\(self.file): \(lines.count) problems", at: 0)
        }
        lines += self.warnings.map(\.description)
        return lines.joined(separator: "\n")
    }
}
