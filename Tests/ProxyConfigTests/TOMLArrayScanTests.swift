import Testing

@testable import ProxyConfig

/// What toml++ would abort on inside arrays (found by fuzz/proxy-conf: `n=[}`), and the valid documents around it that
/// must not be reported.
@Suite struct TOMLArrayScanTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        /// line, column, statement line; nil: nothing to report.
        let expected: (Int, Int, Int)?
        var testDescription: String { self.name }

        init(_ name: String, _ text: String, _ expected: (Int, Int, Int)?) {
            self.name = name
            self.text = text
            self.expected = expected
        }
    }

    static let cases: [Case] = [
        Case("the fuzzer's input", "n=[}", (1, 4, 1)),
        Case("after an element and a comma", "x = [1, }\n", (1, 9, 1)),
        Case("on a later line of a multi-line array", "a = 1\nx = [\n  1,\n  # note\n}\n", (5, 1, 2)),
        Case("in a nested array", "x = [[1], [ }]]\n", (1, 13, 1)),
        Case("in an array inside an inline table", "x = { a = [ } }\n", (1, 13, 1)),
        Case("a line separator where an element starts", "x = [\u{2028}1]\n", (1, 6, 1)),
        Case("a next line (U+0085) after a comma", "x = [1,\u{85}2]\n", (1, 8, 1)),
        // Valid TOML, or errors toml++ reports itself: nothing to report.
        Case("a closing brace inside a string element", "x = [\"}\", '}', \"\"\"}\"\"\", '''}''']\n", nil),
        Case("a closing brace in a comment inside an array", "x = [ # }\n 1 ]\n", nil),
        Case("an inline table inside an array", "x = [{ a = 1 }, { b = [2] }]\n", nil),
        Case("a header with brackets in a quoted key", "[\"a]}\"]\nx = 1\n", nil),
        Case("an escaped quote before the brace", "x = [\"a\\\"}\"]\n", nil),
        Case("a multi-line string that spans lines", "x = [\"\"\"\n}\n\"\"\"]\n", nil),
        Case("a brace in a key", "\"}\" = [1]\n", nil),
        Case("a line separator in a string", "x = [\"\u{2028}\"]\n", nil),
        Case("an unterminated string (toml++ reports it)", "x = [\"abc\n}\n", nil),
        Case("a bracket that closes the wrong thing (toml++ reports it)", "x = { a = 1 ]\ny = [}\n", nil),
    ]

    @Test(arguments: Self.cases)
    func scan(_ c: Case) {
        let found = TOMLArrayScan.firstProblem(in: c.text)
        #expect(found.map { [$0.line, $0.column, $0.statementLine] } == c.expected.map { [$0.0, $0.1, $0.2] })
    }
}
