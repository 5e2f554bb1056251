import Foundation
import TOMLKit

/// Reads proxy.conf into a validated `ProxyConfiguration`, or a `ConfigError` listing every problem.
public enum ConfigLoader {
    /// Loads the file at `path`. Relative `ca_file` paths are resolved from the file's directory.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> ProxyConfiguration {
        let text: String
        do {
            text = try Self.read(path)
        } catch {
            throw ConfigError(file: path, problems: [error])
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try Self.decode(text, file: path, environment: environment, baseDirectory: directory)
    }

    /// Parses proxy.conf text; `file` names it in messages. Relative `ca_file` paths stay as written.
    public static func parse(
        _ text: String,
        file: String = "proxy.conf",
        environment: [String: String] = [:]
    ) throws(ConfigError) -> ProxyConfiguration {
        try Self.decode(text, file: file, environment: environment, baseDirectory: nil)
    }

    private static func decode(
        _ text: String,
        file: String,
        environment: [String: String],
        baseDirectory: String?
    ) throws(ConfigError) -> ProxyConfiguration {
        let locator = LineLocator(text: text)
        if let (problem, parseBefore) = TOMLPrecheck.problem(in: text, locator: locator, file: file) {
            // A syntax error on an earlier line still comes first, as toml++ would report it.
            let before = LineLocator.lines(text).prefix(parseBefore - 1)
            do {
                _ = try TOMLNode.parse(before.joined(separator: "\n"))
            } catch {
                throw ConfigError(file: file, problems: [Self.syntaxProblem(error, file: file)])
            }
            throw ConfigError(file: file, problems: [problem])
        }
        let root: [String: TOMLNode]
        do {
            root = try TOMLNode.parse(text)
        } catch {
            throw ConfigError(file: file, problems: [Self.syntaxProblem(error, file: file)])
        }
        var decoder = ConfigDecoder(file: file, locator: locator, environment: environment, baseDirectory: baseDirectory)
        if let configuration = decoder.decode(root) {
            return configuration
        }
        throw ConfigError(
            file: file, problems: Self.ordered(decoder.problems), warnings: Self.ordered(decoder.warnings)
        )
    }

    /// toml++'s own words, with its position; the message never echoes more than the offending token.
    static func syntaxProblem(_ error: TOMLParseError, file: String) -> ConfigProblem {
        var message = error.description.trimmed(of: " \n")
        if let last = message.last, !".!?".contains(last) {
            message += "."
        }
        return TOMLPrecheck.syntaxProblem(
            file: file, line: error.source.begin.line, column: error.source.begin.column, message)
    }

    /// By line, file-wide problems without a line last; stable for problems on the same line.
    static func ordered(_ problems: [ConfigProblem]) -> [ConfigProblem] {
        problems.enumerated()
            .sorted { lhs, rhs in
                let left = lhs.element.line ?? Int.max
                let right = rhs.element.line ?? Int.max
                return left != right ? left < right : lhs.offset < rhs.offset
            }
            .map(\.element)
    }

    private static func read(_ path: String) throws(ConfigProblem) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigProblem(
                file: path,
                line: nil,
                key: "",
                message: "the file does not exist.",
                fix: "check the path, or name your proxy.conf: reprise check PATH, reprise --config PATH."
            )
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw ConfigProblem(
                file: path,
                line: nil,
                key: "",
                message: isDirectory.boolValue ? "is a directory, not a file." : "the file is not readable.",
                fix: isDirectory.boolValue
                    ? "name the proxy.conf file itself." : "let the user that runs reprise read it."
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigProblem(
                file: path,
                line: nil,
                key: "",
                message: "the file is not UTF-8 text.",
                fix: "save proxy.conf as UTF-8."
            )
        }
        return text
    }
}
