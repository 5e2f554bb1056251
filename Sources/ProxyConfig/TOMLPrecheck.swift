/// What is checked before a document is handed to TOMLKit, because TOMLKit 0.6.0 (toml++ 3) mishandles it:
///
/// - A NUL byte: TOMLKit passes the text as a C string, so toml++ reads only up to the NUL and everything after it
///   would be ignored without a word (TOML forbids NUL anywhere).
/// - A table header whose `[` or `[[` (at the top level, spaces and tabs skipped) is followed by a line end or by
///   anything but a bare key, a quoted key or `]`: toml++ asserts that a key starts there and aborts the process
///   (`[é]`, `[#]`, a lone `[` on its line), which would end a running proxy on a SIGHUP reload.
///
/// - Inside an array, a `}` or a Unicode line separator where an element may start (`TOMLArrayScan`): toml++ asserts
///   that a value starts there (`n = [}`, found by fuzz/proxy-conf).
///
/// They come back as TOML syntax problems, worded like toml++'s own (after any syntax error toml++ finds on an earlier
/// line: `ConfigLoader` parses the lines before `parseBefore` first, the line of the problem or of the key-value pair
/// whose value holds it).
enum TOMLPrecheck {
    static func problem(in text: String, locator: LineLocator, file: String) -> (problem: ConfigProblem, parseBefore: Int)? {
        // The earliest of them: `ConfigLoader` hands toml++ the lines before the problem, which must not hold another
        // one (a header without a name on line 1 and a NUL on line 9 aborted toml++; found by fuzz/proxy-conf).
        var found: [(line: Int, column: Int, parseBefore: Int, message: String)] = []
        if let nul = text.utf8.firstIndex(of: 0) {
            let before = text.utf8[..<nul]
            let line = before.count { $0 == UInt8(ascii: "\n") } + 1
            let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { text.utf8.index(after: $0) } ?? text.utf8.startIndex
            let column = text[lineStart..<nul].count + 1
            found.append((line, column, line, "the file holds a NUL byte."))
        }
        if let header = locator.headerWithoutName {
            found.append(
                (header.line, header.column, header.line, "a table header needs a name (a bare key or a quoted string) after \"[\".")
            )
        }
        // The text before a NUL only: toml++ never sees past it either.
        let scanned = text.utf8.firstIndex(of: 0).map { String(decoding: text.utf8[..<$0], as: UTF8.self) } ?? text
        if let array = TOMLArrayScan.firstProblem(in: scanned) {
            found.append((array.line, array.column, array.statementLine, array.message))
        }
        guard let first = found.min(by: { ($0.line, $0.column) < ($1.line, $1.column) }) else { return nil }
        return (Self.syntaxProblem(file: file, line: first.line, column: first.column, first.message), first.parseBefore)
    }

    static func syntaxProblem(file: String, line: Int, column: Int, _ message: String) -> ConfigProblem {
        ConfigProblem(
            file: file,
            line: line,
            key: "",
            message: "TOML syntax error at column \(column): \(message)",
            fix: "check line \(line): strings need double quotes, tables are written [name] "
                + "and repeated entries [[name]]."
        )
    }
}
