/// Walks a parsed proxy.conf, collecting every problem instead of stopping at the first.
///
/// Section decoding lives in `ConfigDecoder+Server.swift`, `+Log`, `+Upstreams`, `+Rules`, `+Purges`;
/// checks across sections in `+CrossChecks`. This file holds the typed accessors they share.
struct ConfigDecoder {
    let file: String
    let locator: LineLocator
    let environment: [String: String]
    /// Directory that relative `ca_file` paths are resolved against; nil = as written.
    let baseDirectory: String?
    private(set) var problems: [ConfigProblem] = []
    /// Settings that load but probably do not do what their author meant; they never fail the file.
    private(set) var warnings: [ConfigProblem] = []

    init(file: String, locator: LineLocator, environment: [String: String], baseDirectory: String?) {
        self.file = file
        self.locator = locator
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    // MARK: - Reporting

    /// Reports a problem with `key` of `table` (or the table itself when `key` is nil), on the key's
    /// line, else `line`, else the table's header line.
    mutating func report(_ table: TableContext, _ key: String?, line: Int? = nil, _ message: String, fix: String) {
        let keyLine = key.flatMap { self.line(of: $0, in: table) }
        let path = key.map { table.path.isEmpty ? $0 : "\(table.path).\($0)" } ?? table.path
        self.problems.append(
            ConfigProblem(
                file: self.file,
                line: keyLine ?? line ?? self.line(of: table),
                key: path,
                message: message,
                fix: fix
            )
        )
    }

    /// Reports a warning, placed as `report` places a problem.
    mutating func warn(_ table: TableContext, _ key: String?, _ message: String, fix: String) {
        let keyLine = key.flatMap { self.line(of: $0, in: table) }
        let path = key.map { table.path.isEmpty ? $0 : "\(table.path).\($0)" } ?? table.path
        self.warnings.append(
            ConfigProblem(
                file: self.file,
                line: keyLine ?? self.line(of: table),
                key: path,
                message: message,
                fix: fix,
                severity: .warning
            )
        )
    }

    mutating func append(_ problem: ConfigProblem) {
        self.problems.append(problem)
    }

    /// Line where `key` is written in `table`. Keys of an inline table are not on lines of their
    /// own: a dotted `parent.key = ...` line if there is one, else the line of the parent key.
    func line(of key: String, in table: TableContext) -> Int? {
        guard let parent = table.parentKey else {
            return self.locator.line(of: key, in: table.section)
        }
        return self.locator.line(of: "\(parent).\(key)", in: table.section) ?? self.line(of: table)
    }

    /// Line of the table itself: its header, or for an inline table the key it is the value of.
    func line(of table: TableContext) -> Int? {
        if let parent = table.parentKey, let line = self.locator.line(of: parent, in: table.section) {
            return line
        }
        return self.locator.line(of: table.section)
    }

    mutating func typeMismatch(_ table: TableContext, _ key: String, expected: String, found: String) {
        let example = table.schema?.example(for: key) ?? "..."
        self.report(table, key, "expected \(expected), found \(found).", fix: "write \(key) = \(example).")
    }

    /// Reports keys the table's schema does not know, with a did-you-mean when one is close.
    mutating func checkKeys(_ table: TableContext) {
        guard let schema = table.schema else {
            return
        }
        let known = schema.keys.map(\.name)
        for key in table.entries.keys.sorted() where !known.contains(key) {
            let fix: String
            if let suggestion = Suggestion.closest(to: key, in: known) {
                fix = "did you mean \(suggestion)?"
            } else {
                fix = "remove it; \(schema.header) takes \(known.joined(separator: ", "))."
            }
            self.report(
                table,
                nil,
                line: self.line(of: key, in: table),
                "unknown key \"\(key)\".",
                fix: fix
            )
        }
    }

    // MARK: - Typed accessors (nil = absent or reported)

    /// A string, with `${NAME}` expanded unless `expand` is false.
    mutating func string(_ table: TableContext, _ key: String, expand: Bool = true) -> ConfigString? {
        guard let node = table.entries[key] else {
            return nil
        }
        guard case .string(let text) = node else {
            self.typeMismatch(table, key, expected: "a string", found: node.kindDescription)
            return nil
        }
        return self.expand(table, key, text, expand: expand)
    }

    mutating func requiredString(_ table: TableContext, _ key: String, expand: Bool = true) -> ConfigString? {
        guard table.entries[key] != nil else {
            let example = table.schema?.example(for: key) ?? "..."
            self.report(table, nil, "missing required key \(key).", fix: "add \(key) = \(example).")
            return nil
        }
        return self.string(table, key, expand: expand)
    }

    /// An inline table (`key = { ... }`, or dotted `key.sub = ...` lines), its keys checked against
    /// `schema`; problems inside it are reported as `path.key.sub`.
    mutating func inlineTable(_ table: TableContext, _ key: String, schema: ConfigSchema.Section) -> TableContext? {
        guard let node = table.entries[key] else {
            return nil
        }
        guard case .table(let entries) = node else {
            self.typeMismatch(table, key, expected: "an inline table", found: node.kindDescription)
            return nil
        }
        let inner = TableContext(
            section: table.section,
            path: table.path.isEmpty ? key : "\(table.path).\(key)",
            schema: schema,
            entries: entries,
            parentKey: key
        )
        self.checkKeys(inner)
        return inner
    }

    mutating func bool(_ table: TableContext, _ key: String) -> Bool? {
        guard let node = table.entries[key] else {
            return nil
        }
        guard case .boolean(let value) = node else {
            self.typeMismatch(table, key, expected: "true or false", found: node.kindDescription)
            return nil
        }
        return value
    }

    mutating func stringArray(_ table: TableContext, _ key: String, expand: Bool = true) -> [ConfigString]? {
        guard let node = table.entries[key] else {
            return nil
        }
        guard case .array(let elements) = node else {
            self.typeMismatch(table, key, expected: "an array of strings", found: node.kindDescription)
            return nil
        }
        var strings: [ConfigString] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                self.typeMismatch(
                    table,
                    key,
                    expected: "an array of strings",
                    found: "\(element.kindDescription) at position \(index + 1)"
                )
                return nil
            }
            guard let string = self.expand(table, key, text, expand: expand) else {
                return nil
            }
            strings.append(string)
        }
        return strings
    }

    mutating func intArray(_ table: TableContext, _ key: String) -> [Int]? {
        guard let node = table.entries[key] else {
            return nil
        }
        guard case .array(let elements) = node else {
            self.typeMismatch(table, key, expected: "an array of integers", found: node.kindDescription)
            return nil
        }
        var numbers: [Int] = []
        for (index, element) in elements.enumerated() {
            guard case .integer(let number) = element else {
                self.typeMismatch(
                    table,
                    key,
                    expected: "an array of integers",
                    found: "\(element.kindDescription) at position \(index + 1)"
                )
                return nil
            }
            numbers.append(number)
        }
        return numbers
    }

    /// A duration: a string such as "30s", or an integer number of seconds.
    mutating func duration(_ table: TableContext, _ key: String, positive: Bool = false) -> Duration? {
        guard let node = table.entries[key] else {
            return nil
        }
        let display: String
        let duration: Duration
        switch node {
        case .integer(let seconds):
            display = "\(seconds)"
            guard seconds >= 0 else {
                self.report(table, key, "\(display) is negative.", fix: ConfigUnits.durationFix)
                return nil
            }
            duration = .seconds(seconds)
        case .string(let text):
            guard let string = self.expand(table, key, text, expand: true),
                let parsed = self.parse(table, key, string, ConfigUnits.duration)
            else {
                return nil
            }
            display = string.display
            duration = parsed
        default:
            self.typeMismatch(table, key, expected: "a duration", found: node.kindDescription)
            return nil
        }
        if positive && duration == .zero {
            let example = table.schema?.example(for: key) ?? "\"1s\""
            self.report(table, key, "\(display) must be greater than 0.", fix: "write a duration such as \(example).")
            return nil
        }
        return duration
    }

    /// A positive size: a string such as "64MiB", or an integer number of bytes; with `within`, one in that range.
    mutating func size(_ table: TableContext, _ key: String, within range: ClosedRange<Int>? = nil) -> Int? {
        guard let node = table.entries[key] else {
            return nil
        }
        let display: String
        let bytes: Int
        switch node {
        case .integer(let number):
            display = "\(number)"
            bytes = number
        case .string(let text):
            guard let string = self.expand(table, key, text, expand: true),
                let parsed = self.parse(table, key, string, ConfigUnits.size)
            else {
                return nil
            }
            display = string.display
            bytes = parsed
        default:
            self.typeMismatch(table, key, expected: "a size", found: node.kindDescription)
            return nil
        }
        guard bytes > 0 else {
            let example = table.schema?.example(for: key) ?? "\"1MiB\""
            self.report(table, key, "\(display) must be greater than 0.", fix: "write a size such as \(example).")
            return nil
        }
        if let range, !range.contains(bytes) {
            let example = table.schema?.example(for: key) ?? "\"1MiB\""
            let bound = bytes < range.lowerBound ? "smaller than \(ConfigUnits.sizeText(range.lowerBound))" : "larger than \(ConfigUnits.sizeText(range.upperBound))"
            self.report(
                table,
                key,
                "\(display) is \(bound).",
                fix: "write a size from \"\(ConfigUnits.sizeText(range.lowerBound))\" to \"\(ConfigUnits.sizeText(range.upperBound))\", such as \(example)."
            )
            return nil
        }
        return bytes
    }

    /// Runs `parser` on the value, reporting its `ValueError` against the value as written.
    mutating func parse<Value>(
        _ table: TableContext,
        _ key: String,
        _ string: ConfigString,
        _ parser: (String) throws(ValueError) -> Value
    ) -> Value? {
        do {
            return try parser(string.value)
        } catch {
            self.reportInvalid(table, key, string, reason: error.reason, fix: error.fix)
            return nil
        }
    }

    /// Reports an invalid value. For a value expanded from `${NAME}` the reason and fix may quote
    /// pieces of the (possibly secret) expansion, so a generic message replaces them.
    mutating func reportInvalid(
        _ table: TableContext, _ key: String, _ string: ConfigString, reason: String, fix: String
    ) {
        if string.fromEnvironment {
            let example = table.schema?.example(for: key).map { " such as \($0)" } ?? ""
            self.report(
                table,
                key,
                "\(string.display) does not expand to a valid value.",
                fix: "set the environment variable to a value\(example)."
            )
        } else {
            self.report(table, key, "\(string.display) \(reason).", fix: fix)
        }
    }

    /// `text` with `${NAME}` expanded (unless `expand` is false); a bad reference is reported against `key`.
    mutating func expand(_ table: TableContext, _ key: String, _ text: String, expand: Bool) -> ConfigString? {
        guard expand else {
            return ConfigString(value: text, written: text, fromEnvironment: false)
        }
        do {
            let expansion = try EnvironmentExpander.expand(text, environment: self.environment)
            return ConfigString(value: expansion.value, written: text, fromEnvironment: expansion.expanded)
        } catch {
            self.report(table, key, "\"\(text)\" \(error.reason).", fix: error.fix)
            return nil
        }
    }
}

/// A TOML table being decoded, and where it sits: for key paths and line numbers.
struct TableContext {
    var section: LineLocator.Section
    /// "server", "upstream[elevenlabs]", "rule[3]"; "" for the document root.
    var path: String
    var schema: ConfigSchema.Section?
    var entries: [String: TOMLNode]
    /// For an inline table, the key of the enclosing `section` whose value it is ("store_if_json").
    var parentKey: String? = nil
}

/// A string value after `${NAME}` expansion, remembering how it was written.
struct ConfigString {
    var value: String
    /// The text in the file, before expansion: safe to show, unlike `value`.
    var written: String
    var fromEnvironment: Bool

    /// The value for messages: as written in the file, quoted. Never the expanded secret.
    var display: String {
        "\"\(self.written)\""
    }
}
