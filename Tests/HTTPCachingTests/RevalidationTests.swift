import HTTPCaching
import Testing

struct ConditionalHeadersCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var response: [String]
    var expected: [String]
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let conditionalHeadersCases: [ConditionalHeadersCase] = [
    .init(id: "reval-etag", spec: "RFC 9111 §4.3.1", response: ["ETag: \"abc\""], expected: ["If-None-Match: \"abc\""]),
    .init(
        id: "reval-weak-etag", spec: "RFC 9111 §4.3.1", response: ["ETag:  W/\"abc\" "],
        expected: ["If-None-Match: W/\"abc\""]),
    .init(
        id: "reval-last-modified", spec: "RFC 9111 §4.3.1", response: ["Last-Modified: \(httpDate(-60))"],
        expected: ["If-Modified-Since: \(httpDate(-60))"]),
    .init(
        id: "reval-both", spec: "RFC 9111 §4.3.1", response: ["ETag: \"a\"", "Last-Modified: \(httpDate(-60))"],
        expected: ["If-None-Match: \"a\"", "If-Modified-Since: \(httpDate(-60))"]),
    .init(
        id: "reval-unquoted-etag-lenient", spec: "Leniencies", response: ["ETag: abc", "Last-Modified: soon"],
        expected: ["If-None-Match: \"abc\""]),
]

@Test(arguments: conditionalHeadersCases)
func revalidationConditionalHeaders(_ testCase: ConditionalHeadersCase) {
    let headers = Revalidation.conditionalHeaders(for: storedInfo(testCase.response))
    #expect(headers.map { "\($0.name): \($0.value)" } == testCase.expected)
}

struct MergeCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var stored: [String]
    var notModified: [String]
    var expected: [String]
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let mergeCases: [MergeCase] = [
    .init(
        id: "merge-replace", spec: "RFC 9111 §3.2",
        stored: ["Content-Type: text/plain", "Cache-Control: max-age=1", "ETag: \"a\""],
        notModified: ["cache-control: max-age=60", "Date: D2"],
        expected: ["Content-Type: text/plain", "cache-control: max-age=60", "ETag: \"a\"", "Date: D2"]),
    .init(
        id: "merge-repeated-lines-replaced", spec: "RFC 9111 §3.2",
        stored: ["Link: <a>", "X: 1", "Link: <b>"], notModified: ["Link: <c>"], expected: ["Link: <c>", "X: 1"]),
    .init(
        id: "merge-content-length-kept", spec: "RFC 9111 §3.2",
        stored: ["Content-Length: 10", "Content-Encoding: gzip"],
        notModified: ["Content-Length: 0", "Content-Encoding: br", "Content-Range: bytes 0-1/2"],
        expected: ["Content-Length: 10", "Content-Encoding: gzip"]),
    .init(
        id: "merge-hop-by-hop-ignored", spec: "RFC 9111 §3.1",
        stored: ["X: 1"],
        notModified: [
            "Connection: x-secret", "X-Secret: s", "Transfer-Encoding: chunked",
            "Keep-Alive: 5", "X: 2",
        ],
        expected: ["X: 2"]),
]

@Test(arguments: mergeCases)
func notModifiedMerge(_ testCase: MergeCase) {
    let merged = Revalidation.mergeHeaders(
        stored: fields(testCase.stored).fields, notModified: fields(testCase.notModified).fields)
    #expect(merged.map { "\($0.name): \($0.value)" } == testCase.expected)
}

struct NotModifiedMatchCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var stored: [String]
    var notModified: [String]
    var matches: Bool
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let notModifiedMatchCases: [NotModifiedMatchCase] = [
    .init(
        id: "304-strong-match", spec: "RFC 9111 §4.3.4", stored: ["ETag: \"a\""], notModified: ["ETag: \"a\""],
        matches: true),
    .init(
        id: "304-strong-mismatch", spec: "RFC 9111 §4.3.4", stored: ["ETag: \"a\""], notModified: ["ETag: \"b\""],
        matches: false),
    .init(
        id: "304-strong-vs-stored-weak", spec: "RFC 9111 §4.3.4", stored: ["ETag: W/\"a\""],
        notModified: ["ETag: \"a\""], matches: false),
    .init(
        id: "304-weak-match", spec: "RFC 9111 §4.3.4", stored: ["ETag: \"a\""], notModified: ["ETag: W/\"a\""],
        matches: true),
    .init(
        id: "304-last-modified", spec: "RFC 9111 §4.3.4", stored: ["Last-Modified: \(httpDate(-9))"],
        notModified: ["Last-Modified: \(httpDate(-9))"], matches: true),
    .init(
        id: "304-last-modified-differs", spec: "RFC 9111 §4.3.4", stored: ["Last-Modified: \(httpDate(-9))"],
        notModified: ["Last-Modified: \(httpDate(-8))"], matches: false),
    .init(
        id: "304-no-validator", spec: "Leniencies", stored: ["ETag: \"a\""], notModified: ["Date: x"],
        matches: true),
    .init(
        id: "304-etag-but-stored-none", spec: "RFC 9111 §4.3.4", stored: [], notModified: ["ETag: \"a\""],
        matches: false),
]

@Test(arguments: notModifiedMatchCases)
func notModifiedMatching(_ testCase: NotModifiedMatchCase) {
    let matches = Revalidation.notModifiedMatches(
        stored: storedInfo(testCase.stored), notModifiedHeaders: fields(testCase.notModified))
    #expect(matches == testCase.matches)
}
