/// Finds what toml++ 3 (TOMLKit 0.6.0) aborts on inside an array value, for `TOMLPrecheck`.
///
/// toml++ skips spaces, line breaks and comments between an array's elements, then expects a value: a `}` there (an
/// array closed with the wrong bracket, `n = [}`), or a Unicode line separator (U+2028, U+2029, U+0085, which it does
/// not take for a line break), trips an assertion instead of a syntax error, and the process ends. Neither can be valid
/// TOML in that place, so reporting them never refuses a valid file.
///
/// The scan follows TOML's lexical structure only as far as needed: table headers, keys, strings of the four kinds,
/// comments, and the brackets of values. It stops (nothing to report) at anything toml++ reports itself, such as an
/// unterminated string or a bracket that closes the wrong thing.
struct TOMLArrayScan {
    /// Where the problem is (1-based line and column, in Unicode scalars), and the line of the key-value pair whose
    /// value holds it: toml++ may parse the lines before that one to report an earlier syntax error first.
    struct Finding: Equatable {
        var line: Int
        var column: Int
        var statementLine: Int
        var message: String
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(_ text: String) {
        self.scalars = Array(text.unicodeScalars)
    }

    static func firstProblem(in text: String) -> Finding? {
        var scan = TOMLArrayScan(text)
        return scan.run()
    }

    private var current: Unicode.Scalar? { self.index < self.scalars.count ? self.scalars[self.index] : nil }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        self.index + offset < self.scalars.count ? self.scalars[self.index + offset] : nil
    }

    private mutating func advance() {
        if self.scalars[self.index] == "\n" {
            self.line += 1
            self.lineStart = self.index + 1
        }
        self.index += 1
    }

    private mutating func run() -> Finding? {
        // Value brackets open at this point ("[" array, "{" inline table); empty outside a value.
        var open: [Unicode.Scalar] = []
        var inValue = false
        var atLineStart = true
        var statementLine = 1
        while let c = self.current {
            if open.isEmpty && !inValue {
                // A header, a key, a comment or blank space.
                switch c {
                case "\n":
                    atLineStart = true
                    self.advance()
                case " ", "\t", "\r":
                    self.advance()
                case "#":
                    self.skipLine()
                case "[" where atLineStart:
                    self.skipLine()
                case "\"", "'":
                    atLineStart = false
                    guard self.skipString() else { return nil }
                case "=":
                    inValue = true
                    statementLine = self.line
                    self.advance()
                default:
                    atLineStart = false
                    self.advance()
                }
                continue
            }
            switch c {
            case "\n" where open.isEmpty:
                inValue = false
                atLineStart = true
                self.advance()
            case "#":
                self.skipLine()
            case "\"", "'":
                guard self.skipString() else { return nil }
            case "[", "{":
                open.append(c)
                self.advance()
            case "]":
                guard open.last == "[" else { return nil }
                open.removeLast()
                self.advance()
            case "}" where open.last == "[":
                return self.finding(statementLine, "\"}\" inside an array: an array is closed with \"]\".")
            case "}":
                guard open.last == "{" else { return nil }
                open.removeLast()
                self.advance()
            case "\u{2028}", "\u{2029}", "\u{85}":
                guard open.last == "[" else { return nil }
                let code = String(c.value, radix: 16, uppercase: true)
                return self.finding(statementLine, "a Unicode line separator (U+\(code)) inside an array: use a line break.")
            default:
                self.advance()
            }
        }
        return nil
    }

    private func finding(_ statementLine: Int, _ message: String) -> Finding {
        Finding(line: self.line, column: self.index - self.lineStart + 1, statementLine: statementLine, message: message)
    }

    /// To the end of the line: a comment, or a table header (which holds no value brackets).
    private mutating func skipLine() {
        while let c = self.current, c != "\n" { self.advance() }
    }

    /// Skips a string of any of TOML's four kinds; false when it does not end where TOML says it must.
    private mutating func skipString() -> Bool {
        guard let quote = self.current else { return false }
        let multiLine = self.peek(1) == quote && self.peek(2) == quote
        if multiLine {
            for _ in 0..<3 { self.advance() }
            while let c = self.current {
                if quote == "\"", c == "\\" {
                    self.advance()
                    if self.current != nil { self.advance() }
                    continue
                }
                if c == quote, self.peek(1) == quote, self.peek(2) == quote {
                    // Up to two more quotes may end the content ("""a""""" is a, then "").
                    for _ in 0..<3 { self.advance() }
                    var extra = 0
                    while extra < 2, self.current == quote {
                        self.advance()
                        extra += 1
                    }
                    return true
                }
                self.advance()
            }
            return false
        }
        self.advance()
        while let c = self.current {
            if c == "\n" { return false }
            if quote == "\"", c == "\\" {
                self.advance()
                if let next = self.current, next != "\n" { self.advance() }
                continue
            }
            self.advance()
            if c == quote { return true }
        }
        return false
    }
}
