import Testing

@testable import BodyKeying

/// A body that is not exactly one RFC 8259 JSON text.
struct InvalidJSONCase: CustomTestStringConvertible, Sendable {
    var id: String
    var input: [UInt8]
    var testDescription: String { self.id }

    init(id: String, _ input: String) {
        self.id = id
        self.input = Array(input.utf8)
    }

    init(id: String, bytes: [UInt8]) {
        self.id = id
        self.input = bytes
    }
}

let invalidJSONCases: [InvalidJSONCase] = [
    .init(id: "trailing-comma-object", #"{"a":1,}"#),
    .init(id: "trailing-comma-array", "[1,2,]"),
    .init(id: "single-quotes", "{'a':1}"),
    .init(id: "nan", #"{"a":NaN}"#),
    .init(id: "infinity", "[Infinity]"),
    .init(id: "negative-infinity", "-Infinity"),
    .init(id: "unterminated-string", #"{"text":"hi"#),
    .init(id: "unterminated-object", #"{"text":"hi""#),
    .init(id: "unterminated-array", "[1,2"),
    .init(id: "trailing-garbage", #"{"a":1}x"#),
    .init(id: "two-values", "1 2"),
    .init(id: "two-objects", "{}{}"),
    .init(id: "empty", ""),
    .init(id: "only-whitespace", " \n"),
    .init(id: "comment", "[1 /* one */]"),
    .init(id: "unquoted-key", "{a:1}"),
    .init(id: "missing-colon", #"{"a" 1}"#),
    .init(id: "missing-comma", "[1 2]"),
    .init(id: "leading-zero", "01"),
    .init(id: "leading-plus", "+1"),
    .init(id: "bare-point", ".5"),
    .init(id: "point-without-digits", "1."),
    .init(id: "exponent-without-digits", "1e+"),
    .init(id: "hex-number", "0x10"),
    .init(id: "exponent-too-large", "1e99999999999999999999"),
    .init(id: "uppercase-literal", "TRUE"),
    .init(id: "truncated-literal", "nul"),
    .init(id: "raw-control-in-string", "\"a\u{01}b\""),
    .init(id: "raw-newline-in-string", "\"a\nb\""),
    .init(id: "unknown-escape", #""\x41""#),
    .init(id: "short-u-escape", #""\u00e""#),
    .init(id: "lone-high-surrogate", #""\ud800""#),
    .init(id: "high-surrogate-then-letter", #""\ud800x""#),
    .init(id: "lone-low-surrogate", #""\udc00""#),
    .init(id: "byte-order-mark", "\u{FEFF}{}"),
    .init(id: "invalid-utf8", bytes: [0x22, 0xFF, 0x22]),
    .init(id: "truncated-utf8", bytes: [0x22, 0xC3, 0x22]),
]

@Suite("JSON parser")
struct JSONParserTests {
    @Test("invalid JSON is refused", arguments: invalidJSONCases)
    func invalid(_ testCase: InvalidJSONCase) {
        #expect(JSONParser.parse(testCase.input) == nil)
    }

    @Test("values parse into their cases")
    func values() {
        let value = JSONParser.parse(bytes(#"{"a":[null,true,false,-1.50,"x"],"b":{}}"#))
        #expect(
            value
                == .object([
                    ("a", .array([.null, .bool(true), .bool(false), .number("-1.5"), .string("x")])),
                    ("b", .object([])),
                ]))
    }

    @Test("depth limit", arguments: [(255, true), (256, true), (257, false)])
    func depth(_ depth: Int, _ accepted: Bool) {
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect((JSONParser.parse(bytes(arrays)) != nil) == accepted)
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        #expect((JSONParser.parse(bytes(objects)) != nil) == accepted)
    }

    @Test("deep nesting beyond the limit does not crash")
    func veryDeep() {
        #expect(JSONParser.parse(bytes(String(repeating: "[", count: 100_000))) == nil)
    }

    @Test("a non-array collection parses")
    func slice() {
        let body = bytes("xx[1]")
        #expect(JSONParser.parse(body.dropFirst(2)) == .array([.number("1")]))
    }
}
