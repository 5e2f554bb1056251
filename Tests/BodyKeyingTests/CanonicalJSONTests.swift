import Testing

@testable import BodyKeying

/// An input and the canonical text it must serialize to. Inputs sharing an expected text are thus the same bytes.
struct CanonicalCase: CustomTestStringConvertible, Sendable {
    var id: String
    var input: String
    var canonical: String
    var testDescription: String { self.id }
}

let keyOrderCases: [CanonicalCase] = [
    .init(id: "tts-compact", input: #"{"text":"hi","model_id":"m"}"#, canonical: #"{"model_id":"m","text":"hi"}"#),
    .init(
        id: "tts-swapped-spaced", input: #"{ "model_id": "m", "text": "hi" }"#,
        canonical: #"{"model_id":"m","text":"hi"}"#),
    .init(
        id: "all-whitespace-kinds", input: "\t{\r\n\"text\" :\"hi\" ,\n\"model_id\":\"m\"}\n ",
        canonical: #"{"model_id":"m","text":"hi"}"#),
    .init(
        id: "nested-objects-sorted", input: #"{"b":null,"a":{"y":[true,false],"x":{"d":1,"c":2}}}"#,
        canonical: #"{"a":{"x":{"c":2,"d":1},"y":[true,false]},"b":null}"#),
    .init(id: "array-order-kept", input: #"[3,1,{"b":1,"a":2}]"#, canonical: #"[3,1,{"a":2,"b":1}]"#),
    .init(
        id: "sort-by-utf8-bytes", input: #"{"é":4,"b":1,"aa":5,"a":2,"B":3}"#,
        canonical: #"{"B":3,"a":2,"aa":5,"b":1,"é":4}"#),
    .init(id: "utf8-not-utf16-order", input: "{\"😀\":1,\"｡\":2}", canonical: "{\"｡\":2,\"😀\":1}"),
    .init(id: "duplicates-keep-source-order", input: #"{"a":2,"b":0,"a":1}"#, canonical: #"{"a":2,"a":1,"b":0}"#),
    .init(id: "empty-containers", input: #"{ "a" : [ ] , "b" : { } }"#, canonical: #"{"a":[],"b":{}}"#),
    .init(id: "scalar-top-level", input: " \"x\" ", canonical: #""x""#),
    .init(
        id: "gemini-body",
        input: #"{"generationConfig":{"temperature":0.70,"seed":42},"#
            + #""contents":[{"parts":[{"text":"Hi"}],"role":"user"}]}"#,
        canonical: #"{"contents":[{"parts":[{"text":"Hi"}],"role":"user"}],"#
            + #""generationConfig":{"seed":42,"temperature":0.7}}"#),
]

let numberCases: [CanonicalCase] = [
    .init(id: "one", input: "1", canonical: "1"),
    .init(id: "one-point-zero", input: "1.0", canonical: "1"),
    .init(id: "one-e0", input: "1e0", canonical: "1"),
    .init(id: "one-E-plus-0", input: "1E+0", canonical: "1"),
    .init(id: "ten-e-minus-1", input: "10e-1", canonical: "1"),
    .init(id: "tenth-e1", input: "0.1e1", canonical: "1"),
    .init(id: "minus-zero", input: "-0", canonical: "0"),
    .init(id: "minus-zero-fraction", input: "-0.000e5", canonical: "0"),
    .init(id: "half-trailing-zero", input: "0.50", canonical: "0.5"),
    .init(id: "half-exponent", input: "5e-1", canonical: "0.5"),
    .init(id: "negative-fraction", input: "-12.3400", canonical: "-12.34"),
    .init(id: "fraction-from-exponent", input: "1234.5e-2", canonical: "12.345"),
    .init(id: "hundred", input: "100", canonical: "100"),
    .init(id: "hundred-exponent", input: "1e2", canonical: "100"),
    .init(
        id: "big-integer-exact", input: "123456789012345678901234567890",
        canonical: "123456789012345678901234567890"),
    .init(
        id: "big-integer-beyond-double", input: "9007199254740993", canonical: "9007199254740993"),
    .init(id: "huge", input: "1.5e300", canonical: "1.5e300"),
    .init(id: "huge-other-spelling", input: "15E299", canonical: "1.5e300"),
    .init(id: "largest-plain", input: "1e20", canonical: "100000000000000000000"),
    .init(id: "smallest-exponent-form", input: "1e21", canonical: "1e21"),
    .init(id: "small-plain", input: "0.000001", canonical: "0.000001"),
    .init(id: "small-exponent-form", input: "0.0000001", canonical: "1e-7"),
    .init(id: "small-with-digits", input: "12e-10", canonical: "1.2e-9"),
    .init(id: "beyond-double-range", input: "1e1000000", canonical: "1e1000000"),
    .init(id: "precision-kept", input: "0.10000000000000000000000001", canonical: "0.10000000000000000000000001"),
]

let stringCases: [CanonicalCase] = [
    .init(id: "u-escape-e-acute", input: #""\u00e9""#, canonical: "\"é\""),
    .init(id: "raw-e-acute", input: "\"é\"", canonical: "\"é\""),
    .init(id: "uppercase-hex-escape", input: #""\u00E9""#, canonical: "\"é\""),
    .init(id: "escaped-solidus", input: #""a\/b""#, canonical: #""a/b""#),
    .init(id: "raw-solidus", input: #""a/b""#, canonical: #""a/b""#),
    .init(id: "short-escapes-kept", input: #""\b\f\n\r\t""#, canonical: #""\b\f\n\r\t""#),
    .init(id: "u-escape-to-short", input: #""\u0008\u000C\u000a""#, canonical: #""\b\f\n""#),
    .init(id: "other-control-lowercase-hex", input: #""\u0001\u001F\u0000""#, canonical: #""\u0001\u001f\u0000""#),
    .init(id: "quote-and-backslash", input: #""\u0022\u005C""#, canonical: #""\"\\""#),
    .init(id: "surrogate-pair", input: #""\uD83D\uDE00""#, canonical: "\"😀\""),
    .init(id: "del-raw", input: #""\u007f""#, canonical: "\"\u{7F}\""),
    .init(id: "line-separator-raw", input: #""\u2028""#, canonical: "\"\u{2028}\""),
    .init(id: "escaped-key", input: #"{"\u0062":1,"a":2}"#, canonical: #"{"a":2,"b":1}"#),
]

/// Two inputs that must not share canonical bytes.
struct DifferentCase: CustomTestStringConvertible, Sendable {
    var id: String
    var a: String
    var b: String
    var testDescription: String { self.id }
}

let differentCases: [DifferentCase] = [
    .init(id: "array-order-matters", a: "[1,2]", b: "[2,1]"),
    .init(id: "string-is-not-number", a: #"{"a":"1"}"#, b: #"{"a":1}"#),
    .init(id: "precomposed-vs-decomposed", a: "\"\u{E9}\"", b: "\"e\u{301}\""),
    .init(id: "duplicate-order", a: #"{"a":1,"a":2}"#, b: #"{"a":2,"a":1}"#),
    .init(id: "null-vs-absent", a: #"{"a":null}"#, b: "{}"),
    .init(id: "nested-array-order", a: #"{"c":[{"t":"a"},{"t":"b"}]}"#, b: #"{"c":[{"t":"b"},{"t":"a"}]}"#),
]

@Suite("Canonical JSON")
struct CanonicalJSONTests {
    @Test("key order and whitespace", arguments: keyOrderCases)
    func keyOrder(_ testCase: CanonicalCase) {
        #expect(canonical(testCase.input) == bytes(testCase.canonical))
    }

    @Test("number forms", arguments: numberCases)
    func numbers(_ testCase: CanonicalCase) {
        #expect(canonical(testCase.input) == bytes(testCase.canonical))
        #expect(canonical("[\(testCase.input)]") == bytes("[\(testCase.canonical)]"))
    }

    @Test("string escapes", arguments: stringCases)
    func strings(_ testCase: CanonicalCase) {
        #expect(canonical(testCase.input) == bytes(testCase.canonical))
        // The canonical text is itself valid JSON and a fixed point.
        #expect(canonical(testCase.canonical) == bytes(testCase.canonical))
    }

    @Test("different values stay different", arguments: differentCases)
    func different(_ testCase: DifferentCase) {
        let (a, b) = (canonical(testCase.a), canonical(testCase.b))
        #expect(a != nil && b != nil)
        #expect(a != b)
    }

    @Test("equal values compare equal; strings by bytes")
    func equality() {
        #expect(JSONParser.parse(bytes("[1.0, \"\\u00e9\"]")) == JSONParser.parse(bytes("[1, \"é\"]")))
        #expect(JSONValue.string("\u{E9}") != JSONValue.string("e\u{301}"))
        #expect(JSONValue.object([("a", .null)]) != JSONValue.object([("b", .null)]))
    }
}
