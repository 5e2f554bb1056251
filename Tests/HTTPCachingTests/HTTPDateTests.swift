import HTTPCaching
import Testing

struct DateCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var input: String
    var expected: Double?
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let dateCases: [DateCase] = [
    .init(
        id: "date-imf-fixdate", spec: "RFC 9110 §5.6.7", input: "Sun, 06 Nov 1994 08:49:37 GMT", expected: 784_111_777),
    .init(id: "date-rfc850", spec: "RFC 9110 §5.6.7", input: "Sunday, 06-Nov-94 08:49:37 GMT", expected: 784_111_777),
    .init(id: "date-asctime", spec: "RFC 9110 §5.6.7", input: "Sun Nov  6 08:49:37 1994", expected: 784_111_777),
    .init(id: "date-epoch", spec: "RFC 9110 §5.6.7", input: "Thu, 01 Jan 1970 00:00:00 GMT", expected: 0),
    .init(id: "date-double-spaces-invalid", spec: "RFC 9110 §5.6.7", input: "Sun, 06  Nov  1994 08:49:37 GMT", expected: nil),
    .init(id: "date-rfc850-double-space-invalid", spec: "RFC 9110 §5.6.7", input: "Sunday,  06-Nov-94 08:49:37 GMT", expected: nil),
    .init(id: "date-gmt-any-case", spec: "Leniencies", input: "Sun, 06 Nov 1994 08:49:37 gMT", expected: 784_111_777),
    .init(id: "date-leap-day", spec: "RFC 9110 §5.6.7", input: "Tue, 29 Feb 2000 12:00:00 GMT", expected: 951_825_600),
    .init(
        id: "date-lower-case-names", spec: "Leniencies", input: "sun, 06 nov 1994 08:49:37 GMT", expected: 784_111_777),
    .init(
        id: "date-surrounding-space", spec: "Leniencies", input: "  Sun, 06 Nov 1994 08:49:37 GMT ",
        expected: 784_111_777),
    .init(
        id: "date-rfc850-2000s", spec: "RFC 9110 §5.6.7", input: "Monday, 01-Jan-01 00:00:00 GMT", expected: 978_307_200
    ),
    .init(id: "date-invalid-zero", spec: "RFC 9111 §5.3", input: "0", expected: nil),
    .init(id: "date-invalid-empty", spec: "RFC 9111 §5.3", input: "", expected: nil),
    .init(id: "date-invalid-utc", spec: "RFC 9110 §5.6.7", input: "Sun, 06 Nov 1994 08:49:37 UTC", expected: nil),
    .init(id: "date-invalid-feb-30", spec: "RFC 9110 §5.6.7", input: "Mon, 30 Feb 2015 08:49:37 GMT", expected: nil),
    .init(id: "date-invalid-hour", spec: "RFC 9110 §5.6.7", input: "Sun, 06 Nov 1994 24:49:37 GMT", expected: nil),
    .init(id: "date-invalid-month", spec: "RFC 9110 §5.6.7", input: "Sun, 06 Foo 1994 08:49:37 GMT", expected: nil),
    .init(id: "date-invalid-day-name", spec: "RFC 9110 §5.6.7", input: "Xyz, 06 Nov 1994 08:49:37 GMT", expected: nil),
    .init(
        id: "date-invalid-two-digit-year-imf", spec: "RFC 9110 §5.6.7", input: "Sun, 06 Nov 94 08:49:37 GMT",
        expected: nil),
    .init(id: "date-invalid-time", spec: "RFC 9110 §5.6.7", input: "Sun, 06 Nov 1994 8:49:37 GMT", expected: nil),
]

@Test(arguments: dateCases)
func httpDateParsing(_ testCase: DateCase) {
    #expect(HTTPDate.parse(testCase.input) == testCase.expected)
}

@Test(arguments: [
    (0.0, "Thu, 01 Jan 1970 00:00:00 GMT"),
    (784_111_777.9, "Sun, 06 Nov 1994 08:49:37 GMT"),
    (951_825_600, "Tue, 29 Feb 2000 12:00:00 GMT"),
    (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 GMT"),
    (-86_400, "Wed, 31 Dec 1969 00:00:00 GMT"),
])
func httpDateFormatting(seconds: Double, expected: String) {
    #expect(HTTPDate.format(seconds) == expected)
    #expect(HTTPDate.parse(expected) == seconds.rounded(.down))
}
