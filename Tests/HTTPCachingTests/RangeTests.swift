import HTTPCaching
import Testing

struct RangeCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var header: [String]
    var length: Int = 1000
    var expected: ByteRangeRequest.Resolution
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let rangeCases: [RangeCase] = [
    .init(id: "range-absent", spec: "RFC 9110 §14.2", header: [], expected: .full),
    .init(id: "range-first-last", spec: "RFC 9110 §14.1.2", header: ["bytes=0-99"], expected: .ranges([0...99])),
    .init(id: "range-open", spec: "RFC 9110 §14.1.2", header: ["bytes=900-"], expected: .ranges([900...999])),
    .init(id: "range-suffix", spec: "RFC 9110 §14.1.2", header: ["bytes=-50"], expected: .ranges([950...999])),
    .init(id: "range-suffix-longer", spec: "RFC 9110 §14.1.2", header: ["bytes=-5000"], expected: .full),
    .init(
        id: "range-last-clamped", spec: "RFC 9110 §14.1.2", header: ["bytes=500-5000"], expected: .ranges([500...999])),
    .init(
        id: "range-multi-whitespace", spec: "RFC 9110 §14.1.2", header: ["Bytes = 0-99 ,  200- 299 , -50"],
        expected: .ranges([0...99, 200...299, 950...999])),
    .init(
        id: "range-coalesced", spec: "RFC 9110 §14.2", header: ["bytes=200-299, 0-99, 100-150, 250-400"],
        expected: .ranges([0...150, 200...400])),
    .init(id: "range-whole", spec: "RFC 9110 §14.2", header: ["bytes=0-"], expected: .full),
    .init(id: "range-unsatisfiable", spec: "RFC 9110 §15.5.17", header: ["bytes=1000-1100"], expected: .unsatisfiable),
    .init(id: "range-suffix-zero", spec: "RFC 9110 §14.1.2", header: ["bytes=-0"], expected: .unsatisfiable),
    .init(
        id: "range-partly-satisfiable", spec: "RFC 9110 §14.1.2", header: ["bytes=5000-, 0-9"],
        expected: .ranges([0...9])),
    .init(id: "range-reversed-ignored", spec: "RFC 9110 §14.1.2", header: ["bytes=99-0"], expected: .full),
    .init(id: "range-unit-ignored", spec: "RFC 9110 §14.2", header: ["items=0-1"], expected: .full),
    .init(id: "range-garbage-ignored", spec: "RFC 9110 §14.2", header: ["bytes=a-b"], expected: .full),
    .init(id: "range-one-bad-spec-ignored", spec: "RFC 9110 §14.2", header: ["bytes=0-1, x"], expected: .full),
    .init(id: "range-empty-ignored", spec: "RFC 9110 §14.2", header: ["bytes="], expected: .full),
    .init(id: "range-two-lines-ignored", spec: "RFC 9110 §14.2", header: ["bytes=0-1", "bytes=2-3"], expected: .full),
    .init(id: "range-overflow", spec: "RFC 9110 §14.1.2", header: ["bytes=0-99999999999999999999999"], expected: .full),
    .init(id: "range-zero-length", spec: "RFC 9110 §14.1.2", header: ["bytes=0-10"], length: 0, expected: .full),
    .init(
        id: "range-too-many", spec: "RFC 9110 §14.2",
        header: ["bytes=" + (0..<65).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")], expected: .full),
]

@Test(arguments: rangeCases)
func rangeResolution(_ testCase: RangeCase) {
    let request = ByteRangeRequest(requestHeaders: fields(testCase.header.map { "Range: \($0)" }))
    let resolution = request?.resolve(length: testCase.length) ?? .full
    #expect(resolution == testCase.expected)
}

struct IfRangeCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var request: [String]
    var etag: String? = "\"v1\""
    var lastModified: String? = httpDate(-100)
    var allowsRange: Bool
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let ifRangeCases: [IfRangeCase] = [
    .init(id: "if-range-absent", spec: "RFC 9110 §13.1.5", request: [], allowsRange: true),
    .init(id: "if-range-etag-match", spec: "RFC 9110 §13.1.5", request: ["If-Range: \"v1\""], allowsRange: true),
    .init(id: "if-range-etag-mismatch", spec: "RFC 9110 §13.1.5", request: ["If-Range: \"v2\""], allowsRange: false),
    .init(id: "if-range-weak", spec: "RFC 9110 §13.1.5", request: ["If-Range: W/\"v1\""], allowsRange: false),
    .init(
        id: "if-range-stored-weak", spec: "RFC 9110 §13.1.5", request: ["If-Range: \"v1\""], etag: "W/\"v1\"",
        allowsRange: false),
    .init(
        id: "if-range-date-exact", spec: "RFC 9110 §13.1.5", request: ["If-Range: \(httpDate(-100))"],
        allowsRange: true),
    .init(
        id: "if-range-date-later", spec: "RFC 9110 §13.1.5", request: ["If-Range: \(httpDate(-50))"],
        allowsRange: false),
    .init(id: "if-range-garbage", spec: "RFC 9110 §13.1.5", request: ["If-Range: soon"], allowsRange: false),
]

@Test(arguments: ifRangeCases)
func ifRange(_ testCase: IfRangeCase) {
    let allowed = ContentRange.ifRangeAllowsRange(
        requestHeaders: fields(testCase.request), etag: testCase.etag, lastModified: testCase.lastModified)
    #expect(allowed == testCase.allowsRange)
}

@Test func contentRangeFormatting() {
    #expect(ContentRange.format(0...99, length: 1000) == "bytes 0-99/1000")
    #expect(ContentRange.unsatisfied(length: 1000) == "bytes */1000")
}
