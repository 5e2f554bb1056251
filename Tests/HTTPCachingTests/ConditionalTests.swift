import HTTPCaching
import Testing

struct ConditionalCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var method: String = "GET"
    var request: [String]
    var etag: String? = "\"v1\""
    var lastModified: String? = httpDate(-100)
    var status: Int = 200
    var expected: Conditional.Outcome
    var testDescription: String { "\(self.id) [\(self.spec)] → \(self.expected.rawValue)" }
}

let conditionalCases: [ConditionalCase] = [
    .init(id: "cond-none", spec: "RFC 9110 §13", request: [], expected: .proceed),
    .init(id: "inm-match", spec: "RFC 9110 §13.1.2", request: ["If-None-Match: \"v1\""], expected: .notModified),
    .init(
        id: "inm-weak-compare", spec: "RFC 9110 §13.1.2", request: ["If-None-Match: W/\"v1\""], expected: .notModified),
    .init(id: "inm-list", spec: "RFC 9110 §13.1.2", request: ["If-None-Match: \"x\", \"v1\""], expected: .notModified),
    .init(
        id: "inm-repeated-lines", spec: "RFC 9110 §5.3", request: ["If-None-Match: \"x\"", "If-None-Match: \"v1\""],
        expected: .notModified),
    .init(
        id: "inm-comma-in-tag", spec: "RFC 9110 §8.8.3", request: ["If-None-Match: \"a,b\""], etag: "\"a,b\"",
        expected: .notModified),
    .init(id: "inm-star", spec: "RFC 9110 §13.1.2", request: ["If-None-Match: *"], expected: .notModified),
    .init(id: "inm-mismatch", spec: "RFC 9110 §13.1.2", request: ["If-None-Match: \"v2\""], expected: .proceed),
    .init(
        id: "inm-post-412", spec: "RFC 9110 §13.1.2", method: "POST", request: ["If-None-Match: \"v1\""],
        expected: .preconditionFailed),
    .init(
        id: "inm-beats-ims", spec: "RFC 9110 §13.2.2",
        request: ["If-None-Match: \"v2\"", "If-Modified-Since: \(httpDate(0))"], expected: .proceed),
    .init(id: "inm-unquoted-lenient", spec: "Leniencies", request: ["If-None-Match: v1"], expected: .notModified),
    .init(
        id: "ims-not-modified", spec: "RFC 9110 §13.1.3", request: ["If-Modified-Since: \(httpDate(-100))"],
        expected: .notModified),
    .init(
        id: "ims-modified", spec: "RFC 9110 §13.1.3", request: ["If-Modified-Since: \(httpDate(-101))"],
        expected: .proceed),
    .init(
        id: "ims-invalid-date", spec: "RFC 9110 §13.1.3", request: ["If-Modified-Since: yesterday"],
        expected: .proceed),
    .init(
        id: "ims-post-ignored", spec: "RFC 9110 §13.1.3", method: "POST",
        request: ["If-Modified-Since: \(httpDate(0))"], expected: .proceed),
    .init(
        id: "ims-no-last-modified", spec: "RFC 9110 §13.1.3", request: ["If-Modified-Since: \(httpDate(0))"],
        lastModified: nil, expected: .proceed),
    .init(id: "im-match", spec: "RFC 9110 §13.1.1", request: ["If-Match: \"v1\""], expected: .proceed),
    .init(
        id: "im-weak-fails", spec: "RFC 9110 §13.1.1", request: ["If-Match: W/\"v1\""], expected: .preconditionFailed),
    .init(id: "im-mismatch", spec: "RFC 9110 §13.1.1", request: ["If-Match: \"v2\""], expected: .preconditionFailed),
    .init(id: "im-star", spec: "RFC 9110 §13.1.1", request: ["If-Match: *"], expected: .proceed),
    .init(
        id: "im-stored-weak", spec: "RFC 9110 §13.1.1", request: ["If-Match: \"v1\""], etag: "W/\"v1\"",
        expected: .preconditionFailed),
    .init(
        id: "ius-modified-since", spec: "RFC 9110 §13.1.4", request: ["If-Unmodified-Since: \(httpDate(-200))"],
        expected: .preconditionFailed),
    .init(
        id: "ius-unmodified", spec: "RFC 9110 §13.1.4", request: ["If-Unmodified-Since: \(httpDate(-100))"],
        expected: .proceed),
    .init(
        id: "ius-ignored-with-if-match", spec: "RFC 9110 §13.2.2",
        request: ["If-Match: \"v1\"", "If-Unmodified-Since: \(httpDate(-200))"], expected: .proceed),
    .init(
        id: "im-then-inm", spec: "RFC 9110 §13.2.2", request: ["If-Match: \"v1\"", "If-None-Match: \"v1\""],
        expected: .notModified),
    .init(
        id: "cond-non-2xx-ignored", spec: "RFC 9110 §13.2.1", request: ["If-None-Match: *"], status: 404,
        expected: .proceed),
]

@Test(arguments: conditionalCases)
func clientConditionals(_ testCase: ConditionalCase) {
    let outcome = Conditional.evaluate(
        method: testCase.method,
        requestHeaders: fields(testCase.request),
        etag: testCase.etag,
        lastModified: testCase.lastModified,
        status: testCase.status
    )
    #expect(outcome == testCase.expected)
}

@Test func notModifiedKeepsOnlyListedFields() {
    let full = fields([
        "Content-Type: a", "ETag: \"1\"", "Cache-Control: max-age=1", "Content-Length: 9", "Vary: X",
        "Date: d", "Expires: e", "Content-Location: /c", "Last-Modified: l", "Set-Cookie: s",
    ])
    let kept = Conditional.notModifiedHeaders(from: full.fields).map(\.name)
    #expect(kept == ["ETag", "Cache-Control", "Vary", "Date", "Expires", "Content-Location", "Last-Modified"])
}

@Test func entityTagParsing() {
    #expect(EntityTag("\"abc\"") == EntityTag(opaqueTag: "abc"))
    #expect(EntityTag(" W/\"abc\" ") == EntityTag(opaqueTag: "abc", isWeak: true))
    #expect(EntityTag("abc") == EntityTag(opaqueTag: "abc"))  // Leniencies: unquoted tags
    #expect(EntityTag("\"a\"b") == nil)
    #expect(EntityTag("w/\"a\"") == nil)  // RFC 9110 §8.8.3: "W/" is case-sensitive
    #expect(EntityTag.parseCondition([" * "]) == .any)
    #expect(EntityTag.parseCondition(["\"a\" \"b\""]) == nil)
}
