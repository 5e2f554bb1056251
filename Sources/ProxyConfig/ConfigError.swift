/// Every problem found in a configuration file, not just the first, ordered by line.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [ConfigProblem]

    public init(file: String, problems: [ConfigProblem]) {
        self.file = file
        self.problems = problems
    }

    /// One problem per line; a leading count when there is more than one.
    public var description: String {
        let lines = self.problems.map(\.description)
        if lines.count == 1 {
            return lines[0]
        }
        return (["\(self.file): \(lines.count) problems"] + lines).joined(separator: "\n")
    }
}
