/// Finds where tables, array-of-table entries and keys are written in a TOML document, since
/// TOMLKit reports positions only for syntax errors.
///
/// A light scanner, not a parser: it tracks strings (basic, literal, multi-line), comments and
/// bracket depth well enough to recognize `[table]`, `[[array]]` and `key = ...` lines of any valid
/// document. Dotted keys are recorded whole and under their first component.
struct LineLocator {
    /// A table: `name` "" is the root; `index` is the 0-based entry of an array of tables.
    struct Section: Hashable {
        var name: String
        var index: Int?

        static let root = Section(name: "", index: nil)
    }

    private var headerLines: [Section: Int] = [:]
    private var keyLines: [Section: [String: Int]] = [:]
    /// The first top-level table header without a name after its brackets (see `TOMLPrecheck`): its line, and the
    /// 1-based column of what stands where the name should start.
    private(set) var headerWithoutName: (line: Int, column: Int)?

    init(text: String) {
        var current = Section.root
        var arrayCounts: [String: Int] = [:]
        var scanner = Scanner()
        let lines = Self.lines(text)
        let lastLine = lines.count - 1
        for (offset, rawLine) in lines.enumerated() {
            let line = offset + 1
            let trimmed = rawLine.drop(while: { $0 == " " || $0 == "\t" })
            if scanner.isAtTopLevel {
                // By scalar, not by character: "[" and a combining mark after it are one character (found by
                // fuzz/proxy-conf: toml++ aborted on "[" + U+035A).
                if trimmed.unicodeScalars.first == "[", self.headerWithoutName == nil,
                    let column = Self.missingName(trimmed, isLastLine: offset == lastLine)
                {
                    self.headerWithoutName = (line, rawLine.count - trimmed.count + column)
                }
                if trimmed.hasPrefix("[[") {
                    let name = Self.headerName(trimmed.dropFirst(2), closing: "]]")
                    let index = arrayCounts[name, default: 0]
                    arrayCounts[name] = index + 1
                    current = Section(name: name, index: index)
                    self.headerLines[current] = self.headerLines[current] ?? line
                    scanner.scan(Self.afterHeader(trimmed))
                    continue
                }
                if trimmed.hasPrefix("[") {
                    current = Section(name: Self.headerName(trimmed.dropFirst(), closing: "]"), index: nil)
                    self.headerLines[current] = self.headerLines[current] ?? line
                    scanner.scan(Self.afterHeader(trimmed))
                    continue
                }
                if let equals = Self.keyEnd(trimmed) {
                    let key = Self.unquote(trimmed[..<equals])
                    self.record(key, line: line, in: current)
                    if let dot = key.firstIndex(of: "."), !key.hasPrefix("\"") {
                        self.record(String(key[..<dot]), line: line, in: current)
                    }
                    scanner.scan(trimmed[trimmed.index(after: equals)...])
                    continue
                }
            }
            scanner.scan(trimmed)
        }
    }

    /// Line of the `[name]` / n-th `[[name]]` header.
    func line(of section: Section) -> Int? {
        self.headerLines[section]
    }

    /// Line where `key` is assigned in `section`.
    func line(of key: String, in section: Section) -> Int? {
        self.keyLines[section]?[key]
    }

    private mutating func record(_ key: String, line: Int, in section: Section) {
        if self.keyLines[section]?[key] == nil {
            self.keyLines[section, default: [:]][key] = line
        }
    }

    /// For a header line (`header` starts with `[`): the 1-based column, within `header`, of what follows `[` or
    /// `[[` and the spaces and tabs after them when it cannot start a key: nil when it is a bare-key character, a
    /// quote or `]`, or when toml++ reports the line itself (a space before the second `[`, the end of the file).
    /// Other whitespace (a CR, U+00A0) counts as no name: toml++ refuses some of it and aborts on the rest.
    /// The file's lines as toml++ counts them: split at LF, CRLF included. By `Character`, "\r\n" is one character
    /// that is not "\n", so a plain split kept a CRLF file in one piece (and missed its headers: found by
    /// fuzz/proxy-conf, toml++ aborted on a header after a CRLF).
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
    }

    static func missingName(_ header: Substring, isLastLine: Bool) -> Int? {
        let scalars = Array(header.unicodeScalars)
        var index = 1
        func skipBlanks() -> Bool {
            let start = index
            while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
            return index > start
        }
        let blank = skipBlanks()
        if index < scalars.count, scalars[index] == "[" {
            if blank { return nil }
            index += 1
            _ = skipBlanks()
        }
        guard index < scalars.count else {
            return isLastLine ? nil : index + 1  // toml++ meets the line break
        }
        let next = scalars[index]
        if next == "]" || next == "\"" || next == "'" || next == "_" || next == "-" {
            return nil
        }
        if next.isASCII, next.properties.isAlphabetic || ("0"..."9").contains(next) {
            return nil
        }
        // The column counts characters, as `LineLocator`'s lines do.
        return String(String.UnicodeScalarView(scalars[..<index])).count + 1
    }

    private static func headerName(_ text: Substring, closing: String) -> String {
        let end = text.firstRange(of: closing)?.lowerBound ?? text.endIndex
        return Self.unquote(text[..<end])
    }

    /// What follows a header's closing bracket (a comment, or text toml++ refuses). The first `]` outside a quoted key
    /// closes it: the last one on the line may be inside a comment (`[[purge]] # a ] and a [` made the rest of the
    /// file look like the inside of an array, and a later header without a name went unseen; found by fuzz/proxy-conf).
    private static func afterHeader(_ text: Substring) -> Substring {
        var index = text.startIndex
        var quote: Character?
        while index < text.endIndex {
            let character = text[index]
            if let open = quote {
                if character == "\\" && open == "\"" {
                    index = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
                    continue
                }
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "]" {
                var end = text.index(after: index)
                if text.hasPrefix("[["), end < text.endIndex, text[end] == "]" { end = text.index(after: end) }
                return text[end...]
            }
            index = text.index(after: index)
        }
        return ""
    }

    /// Index of the `=` of a `key = value` line, if the line starts with a key.
    private static func keyEnd(_ text: Substring) -> Substring.Index? {
        guard let first = text.first, first != "#" else {
            return nil
        }
        var inQuote: Character?
        for index in text.indices {
            let character = text[index]
            if let quote = inQuote {
                if character == quote {
                    inQuote = nil
                }
            } else if character == "\"" || character == "'" {
                inQuote = character
            } else if character == "=" {
                return index
            } else if character == "#" {
                return nil
            }
        }
        return nil
    }

    private static func unquote(_ text: Substring) -> String {
        var key = text.trimmed(of: " \t\r")
        if key.count >= 2, let first = key.first, first == "\"" || first == "'", key.last == first {
            key = String(key.dropFirst().dropLast())
        }
        return key
    }

    /// Carries string and bracket state from one line to the next.
    /// Follows strings and value brackets across lines, by Unicode scalar: a quote followed by a combining mark is one
    /// `Character` that is not a quote (found by fuzz/proxy-conf: the scanner then lost track of a string, took the
    /// rest of the file for the inside of an array, and missed a later header without a name that aborted toml++).
    private struct Scanner {
        private var depth = 0
        private var multiline: [Unicode.Scalar]?  // the closing delimiter of an open multi-line string

        var isAtTopLevel: Bool {
            self.depth == 0 && self.multiline == nil
        }

        mutating func scan(_ text: Substring) {
            let scalars = Array(text.unicodeScalars)
            var index = 0
            while index < scalars.count {
                if let closing = self.multiline {
                    guard let end = Self.find(closing, in: scalars, from: index, escapes: closing.first == "\"") else {
                        return
                    }
                    self.multiline = nil
                    index = end
                    continue
                }
                let scalar = scalars[index]
                index += 1
                switch scalar {
                case "#":
                    return
                case "[", "{":
                    self.depth += 1
                case "]", "}":
                    self.depth = max(0, self.depth - 1)
                case "\"", "'":
                    if index + 1 < scalars.count, scalars[index] == scalar, scalars[index + 1] == scalar {
                        index += 2
                        self.multiline = [scalar, scalar, scalar]
                    } else if let end = Self.find([scalar], in: scalars, from: index, escapes: scalar == "\"") {
                        index = end
                    } else {
                        return
                    }
                default:
                    break
                }
            }
        }

        /// The index just past `delimiter` in `scalars` from `start`, skipping backslash escapes in basic strings.
        private static func find(_ delimiter: [Unicode.Scalar], in scalars: [Unicode.Scalar], from start: Int, escapes: Bool) -> Int? {
            var index = start
            while index < scalars.count {
                if escapes && scalars[index] == "\\" {
                    index += 2
                    continue
                }
                if index + delimiter.count <= scalars.count, Array(scalars[index..<index + delimiter.count]) == delimiter {
                    return index + delimiter.count
                }
                index += 1
            }
            return nil
        }
    }
}

extension StringProtocol {
    func trimmed(of set: String) -> String {
        let start = self.firstIndex(where: { !set.contains($0) }) ?? self.endIndex
        let end = self.lastIndex(where: { !set.contains($0) }).map { self.index(after: $0) } ?? start
        return String(self[start..<Swift.max(start, end)])
    }
}
