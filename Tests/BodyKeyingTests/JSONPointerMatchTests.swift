import Testing

@testable import BodyKeying

/// A response body, a `store_if_json` condition and whether it holds.
struct PointerMatchCase: CustomTestStringConvertible, Sendable {
    var id: String
    var body: String
    var pointer: String = "/data/task_status"
    var values: [String] = ["succeed", "failed"]
    var matches: Bool
    var testDescription: String { self.id }
}

func klingTask(_ status: String) -> String {
    #"{"code":0,"message":"SUCCEED","request_id":"r1","data":{"task_id":"t1","task_status":"\#(status)","#
        + #""task_result":{"images":[{"index":0,"url":"https://cdn.example/i.png"}]}}}"#
}

let pointerMatchCases: [PointerMatchCase] = [
    .init(id: "kling-succeed", body: klingTask("succeed"), matches: true),
    .init(id: "kling-failed", body: klingTask("failed"), matches: true),
    .init(id: "kling-processing", body: klingTask("processing"), matches: false),
    .init(id: "kling-submitted", body: klingTask("submitted"), matches: false),
    .init(id: "case-sensitive", body: klingTask("SUCCEED"), matches: false),
    .init(id: "escaped-string-value", body: #"{"data":{"task_status":"succ\u0065ed"}}"#, matches: true),
    .init(id: "missing-field", body: #"{"code":1303,"message":"busy"}"#, matches: false),
    .init(id: "not-json", body: "<html>502</html>", matches: false),
    .init(id: "bool-never-matches", body: #"{"data":{"task_status":true}}"#, values: ["true"], matches: false),
    .init(id: "object-never-matches", body: #"{"data":{"task_status":{}}}"#, values: ["{}"], matches: false),
    .init(id: "number-code", body: #"{"code":0}"#, pointer: "/code", values: ["0"], matches: true),
    .init(id: "number-other-spelling", body: #"{"code":0.0e3}"#, pointer: "/code", values: ["0"], matches: true),
    .init(id: "number-value-spelling", body: #"{"code":1}"#, pointer: "/code", values: ["1.0"], matches: true),
    .init(id: "number-mismatch", body: #"{"code":1303}"#, pointer: "/code", values: ["0"], matches: false),
    .init(id: "string-not-number-spelling", body: #"{"code":"1.0"}"#, pointer: "/code", values: ["1"], matches: false),
    .init(id: "array-index", body: #"{"a":["x","y"]}"#, pointer: "/a/1", values: ["y"], matches: true),
    .init(id: "duplicate-last-wins", body: #"{"s":"succeed","s":"processing"}"#, pointer: "/s", matches: false),
    .init(id: "invalid-pointer", body: #"{"s":"succeed"}"#, pointer: "s", matches: false),
    .init(id: "no-values", body: klingTask("succeed"), values: [], matches: false),
]

@Suite("JSON pointer match")
struct JSONPointerMatchTests {
    @Test("store_if_json", arguments: pointerMatchCases)
    func matches(_ testCase: PointerMatchCase) {
        #expect(
            JSONPointerMatch.matches(body: bytes(testCase.body), pointer: testCase.pointer, values: testCase.values)
                == testCase.matches)
    }
}
