@testable import HTTPCaching
import Testing

struct CacheControlCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var lines: [String]
    var expected: CacheControl
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

private func cc(_ build: (inout CacheControl) -> Void) -> CacheControl {
    var value = CacheControl()
    value.isEmpty = false
    build(&value)
    return value
}

let cacheControlCases: [CacheControlCase] = [
    .init(id: "cc-empty", spec: "RFC 9111 §5.2", lines: [], expected: CacheControl()),
    .init(id: "cc-max-age", spec: "RFC 9111 §5.2.2.1", lines: ["max-age=60"], expected: cc { $0.maxAge = 60 }),
    .init(id: "cc-max-age-quoted", spec: "RFC 9111 §5.2", lines: ["max-age=\"5\""], expected: cc { $0.maxAge = 5 }),
    .init(
        id: "cc-upper-case", spec: "RFC 9111 §5.2", lines: ["MAX-AGE=7, No-Store"],
        expected: cc {
            $0.maxAge = 7
            $0.noStore = true
        }),
    .init(
        id: "cc-whitespace", spec: "RFC 9110 §5.6.1", lines: ["  public ,\tmax-age = 10 ,, "],
        expected: cc {
            $0.isPublic = true
            $0.maxAge = 10
        }),
    .init(
        id: "cc-repeated-lines", spec: "RFC 9110 §5.3", lines: ["public", "s-maxage=30", "must-revalidate"],
        expected: cc {
            $0.isPublic = true
            $0.sMaxAge = 30
            $0.mustRevalidate = true
        }),
    .init(
        id: "cc-overflow-clamped", spec: "RFC 9111 §1.2.2", lines: ["max-age=99999999999999999999999"],
        expected: cc { $0.maxAge = 2_147_483_648 }),
    .init(
        id: "cc-negative-ignored", spec: "RFC 9111 §1.2.2", lines: ["max-age=-1"],
        expected: cc { $0.invalidArguments = ["max-age"] }),
    .init(
        id: "cc-fraction-ignored", spec: "RFC 9111 §1.2.2", lines: ["max-age=1.5, s-maxage=abc"],
        expected: cc { $0.invalidArguments = ["max-age", "s-maxage"] }),
    .init(
        id: "cc-max-age-no-value", spec: "RFC 9111 §5.2.2.1", lines: ["max-age"],
        expected: cc { $0.invalidArguments = ["max-age"] }),
    .init(
        id: "cc-duplicate-equal", spec: "RFC 9111 §4.2.1", lines: ["max-age=10", "max-age=10"],
        expected: cc { $0.maxAge = 10 }),
    .init(
        id: "cc-duplicate-conflict-stale", spec: "RFC 9111 §4.2.1", lines: ["max-age=10, max-age=20"],
        expected: cc { $0.maxAge = 0 }),
    .init(
        id: "cc-duplicate-min-fresh-largest", spec: "RFC 9111 §5.2.1.3", lines: ["min-fresh=5, min-fresh=9"],
        expected: cc { $0.minFresh = 9 }),
    .init(
        id: "cc-duplicate-swr-smallest", spec: "RFC 5861 §3",
        lines: ["stale-while-revalidate=50", "stale-while-revalidate=20"],
        expected: cc { $0.staleWhileRevalidate = 20 }),
    .init(
        id: "cc-no-cache-qualified-comma", spec: "RFC 9111 §5.2.2.4",
        lines: ["no-cache=\"Set-Cookie, X-Foo\", max-age=3"],
        expected: cc {
            $0.noCacheFields = ["set-cookie", "x-foo"]
            $0.maxAge = 3
        }),
    .init(
        id: "cc-no-cache-unqualified", spec: "RFC 9111 §5.2.2.4", lines: ["no-cache"],
        expected: cc { $0.noCache = true }),
    .init(
        id: "cc-no-cache-empty-list", spec: "Leniencies", lines: ["no-cache=\"\""],
        expected: cc { $0.noCache = true }),
    .init(
        id: "cc-private-qualified", spec: "RFC 9111 §5.2.2.7", lines: ["private=\"set-cookie\""],
        expected: cc { $0.privateFields = ["set-cookie"] }),
    .init(
        id: "cc-private-token", spec: "Leniencies", lines: ["private=Set-Cookie"],
        expected: cc { $0.privateFields = ["set-cookie"] }),
    .init(id: "cc-private", spec: "RFC 9111 §5.2.2.7", lines: ["private"], expected: cc { $0.isPrivate = true }),
    .init(
        id: "cc-max-stale-unlimited", spec: "RFC 9111 §5.2.1.2", lines: ["max-stale"],
        expected: cc { $0.maxStale = .unlimited }),
    .init(
        id: "cc-max-stale-seconds", spec: "RFC 9111 §5.2.1.2", lines: ["max-stale=30"],
        expected: cc { $0.maxStale = .seconds(30) }),
    .init(
        id: "cc-max-stale-value-beats-unlimited", spec: "Leniencies", lines: ["max-stale, max-stale=4"],
        expected: cc { $0.maxStale = .seconds(4) }),
    .init(
        id: "cc-max-stale-invalid", spec: "RFC 9111 §5.2.1.2", lines: ["max-stale=x"],
        expected: cc { $0.invalidArguments = ["max-stale"] }),
    .init(
        id: "cc-request-directives", spec: "RFC 9111 §5.2.1", lines: ["only-if-cached, min-fresh=2, no-transform"],
        expected: cc {
            $0.onlyIfCached = true
            $0.minFresh = 2
            $0.noTransform = true
        }),
    .init(
        id: "cc-response-flags", spec: "RFC 9111 §5.2.2", lines: ["proxy-revalidate, immutable, must-understand"],
        expected: cc {
            $0.proxyRevalidate = true
            $0.immutable = true
            $0.mustUnderstand = true
        }),
    .init(id: "cc-sie", spec: "RFC 5861 §4", lines: ["stale-if-error=600"], expected: cc { $0.staleIfError = 600 }),
    .init(
        id: "cc-unknown-ignored", spec: "RFC 9111 §5.2.3", lines: ["foo=\"a,b\", bar, max-age=1"],
        expected: cc { $0.maxAge = 1 }),
    .init(
        id: "cc-quoted-comma-not-split", spec: "RFC 9110 §5.6.4", lines: ["ext=\"max-age=99, no-store\""],
        expected: cc { _ in }),
    // A field value is bytes: a combining scalar (obs-text) after a delimiter must not hide the delimiter, as it
    // would if the value were read as Characters (found by fuzz/http-fields).
    .init(
        id: "cc-combining-after-comma", spec: "RFC 9110 §5.6.1", lines: ["private,\u{301} max-age=60"],
        expected: cc { $0.isPrivate = true }),
    .init(
        id: "cc-combining-after-comma-no-store", spec: "RFC 9110 §5.6.1", lines: ["no-store,\u{301}"],
        expected: cc { $0.noStore = true }),
    .init(
        id: "cc-combining-after-space", spec: "RFC 9110 §5.6.3", lines: ["max-age=5, \u{301}no-cache"],
        expected: cc { $0.maxAge = 5 }),
    .init(
        id: "cc-combining-after-equals", spec: "RFC 9111 §5.2", lines: ["no-store, max-age=\u{301}9"],
        expected: cc {
            $0.noStore = true
            $0.invalidArguments = ["max-age"]
        }),
    .init(
        id: "cc-combining-after-quote", spec: "RFC 9110 §5.6.4", lines: ["ext=\"a\"\u{301}, no-store"],
        expected: cc { $0.noStore = true }),
]

@Test(arguments: cacheControlCases)
func cacheControlParsing(_ testCase: CacheControlCase) {
    #expect(CacheControl(fieldValues: testCase.lines) == testCase.expected)
    // Again: a one-line field now comes from the memo, and must read the same.
    #expect(CacheControl(fieldValues: testCase.lines) == testCase.expected)
    #expect(CacheControl(parsing: testCase.lines) == testCase.expected)
}

/// Lines a client invents cannot grow the memo past its capacity; a long line is never kept.
@Test func theCacheControlMemoStaysBounded() {
    let memo = CacheControlMemo.shared
    for index in 0..<(CacheControlMemo.capacity * 3) {
        _ = CacheControl(fieldValues: ["max-age=\(index), x-invented-\(index)"])
        #expect(memo.count <= CacheControlMemo.capacity)
    }
    let long = "max-age=5, " + String(repeating: "x", count: CacheControlMemo.longestLine)
    #expect(CacheControl(fieldValues: [long]).maxAge == 5)
    #expect(memo.value(for: long) == nil)
}

struct TargetedCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var lines: [String]
    var maxAge: Int?
    var sMaxAge: Int?
    var noStore: Bool
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let targetedCases: [TargetedCase] = [
    .init(
        id: "targeted-absent", spec: "RFC 9213 §2.2", lines: ["Cache-Control: max-age=10"],
        maxAge: 10, sMaxAge: nil, noStore: false),
    .init(
        id: "targeted-cdn-wins", spec: "RFC 9213 §2.2",
        lines: ["Cache-Control: no-store", "CDN-Cache-Control: max-age=600"], maxAge: 600, sMaxAge: nil,
        noStore: false),
    .init(
        id: "targeted-reprise-before-cdn", spec: "RFC 9213 §2.2",
        lines: ["CDN-Cache-Control: max-age=600", "Reprise-Cache-Control: max-age=5"],
        maxAge: 5, sMaxAge: nil, noStore: false),
    .init(
        id: "targeted-invalid-falls-back", spec: "RFC 9213 §2.2",
        lines: ["Cache-Control: max-age=10", "CDN-Cache-Control: Max-Age=600"], maxAge: 10, sMaxAge: nil, noStore: false
    ),
    .init(
        id: "targeted-invalid-next-targeted", spec: "RFC 9213 §2.2",
        lines: ["Reprise-Cache-Control: max-age=,", "CDN-Cache-Control: s-maxage=60"],
        maxAge: nil, sMaxAge: 60, noStore: false),
    .init(
        id: "targeted-empty-ignored", spec: "RFC 9213 §2.2",
        lines: ["Cache-Control: max-age=10", "CDN-Cache-Control: "], maxAge: 10, sMaxAge: nil, noStore: false),
    .init(
        id: "targeted-boolean-false", spec: "RFC 8941 §3.3.6",
        lines: ["CDN-Cache-Control: no-store=?0, max-age=3"], maxAge: 3, sMaxAge: nil, noStore: false),
    .init(
        id: "targeted-boolean-true-params", spec: "RFC 8941 §3.2",
        lines: ["CDN-Cache-Control: no-store;x=1"], maxAge: nil, sMaxAge: nil, noStore: true),
    .init(
        id: "targeted-duplicate-last-wins", spec: "RFC 8941 §4.2.2",
        lines: ["CDN-Cache-Control: max-age=1, max-age=9"], maxAge: 9, sMaxAge: nil, noStore: false),
    .init(
        id: "targeted-string-number-ignored", spec: "RFC 9213 §2.1",
        lines: ["CDN-Cache-Control: max-age=-5, s-maxage=7"], maxAge: nil, sMaxAge: 7, noStore: false),
    .init(
        id: "targeted-string-type-invalidates-field", spec: "RFC 9213 §2.1, cache-tests cdn-cc-invalid-sh-type-wrong",
        lines: ["Cache-Control: no-store", "CDN-Cache-Control: max-age=\"10000\""], maxAge: nil, sMaxAge: nil, noStore: true),
    .init(
        id: "targeted-token-type-invalidates-field", spec: "RFC 9213 §2.1",
        lines: ["Cache-Control: max-age=10", "CDN-Cache-Control: s-maxage=soon"], maxAge: 10, sMaxAge: nil, noStore: false),
    .init(
        id: "targeted-decimal-type-invalidates-field", spec: "RFC 8941 §3.3.2",
        lines: ["Cache-Control: max-age=10", "CDN-Cache-Control: max-age=1.5"], maxAge: 10, sMaxAge: nil, noStore: false),
]

@Test(arguments: targetedCases)
func targetedFields(_ testCase: TargetedCase) {
    let effective = CacheControl.effective(responseHeaders: fields(testCase.lines))
    #expect(effective.maxAge == testCase.maxAge)
    #expect(effective.sMaxAge == testCase.sMaxAge)
    #expect(effective.noStore == testCase.noStore)
}
