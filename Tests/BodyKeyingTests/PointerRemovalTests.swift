import Testing

@testable import BodyKeying

/// A body, the pointers to remove and the canonical text left.
struct RemovalCase: CustomTestStringConvertible, Sendable {
    var id: String
    var body: String
    var pointers: [String]
    var remaining: String
    var testDescription: String { self.id }
}

let removalCases: [RemovalCase] = [
    .init(id: "top-level-user", body: #"{"text":"hi","user":"u1"}"#, pointers: ["/user"], remaining: #"{"text":"hi"}"#),
    .init(
        id: "gemini-seed", body: #"{"contents":[],"generationConfig":{"seed":7,"temperature":1}}"#,
        pointers: ["/generationConfig/seed"], remaining: #"{"contents":[],"generationConfig":{"temperature":1}}"#),
    .init(id: "escaped-slash", body: #"{"a/b":1,"a":{"b":2}}"#, pointers: ["/a~1b"], remaining: #"{"a":{"b":2}}"#),
    .init(id: "escaped-tilde", body: #"{"m~n":1,"m":2}"#, pointers: ["/m~0n"], remaining: #"{"m":2}"#),
    .init(id: "tilde-zero-one-is-tilde-one", body: #"{"~1":1,"/":2}"#, pointers: ["/~01"], remaining: #"{"/":2}"#),
    .init(id: "missing-member-ignored", body: #"{"a":1}"#, pointers: ["/nope"], remaining: #"{"a":1}"#),
    .init(id: "missing-parent-ignored", body: #"{"a":1}"#, pointers: ["/x/y"], remaining: #"{"a":1}"#),
    .init(id: "through-scalar-ignored", body: #"{"a":"s"}"#, pointers: ["/a/b"], remaining: #"{"a":"s"}"#),
    .init(id: "array-element", body: #"{"a":[1,2,3]}"#, pointers: ["/a/1"], remaining: #"{"a":[1,3]}"#),
    .init(
        id: "pointers-refer-to-original", body: #"{"a":[1,2,3]}"#, pointers: ["/a/0", "/a/1"],
        remaining: #"{"a":[3]}"#),
    .init(
        id: "member-in-array-element", body: #"{"a":[{"s":1,"t":2}]}"#, pointers: ["/a/0/s"],
        remaining: #"{"a":[{"t":2}]}"#),
    .init(id: "dash-index-ignored", body: "[1,2]", pointers: ["/-"], remaining: "[1,2]"),
    .init(id: "leading-zero-index-ignored", body: "[1,2]", pointers: ["/01"], remaining: "[1,2]"),
    .init(id: "numeric-member-name", body: #"{"0":1,"1":2}"#, pointers: ["/0"], remaining: #"{"1":2}"#),
    .init(id: "empty-name", body: #"{"":1,"a":2}"#, pointers: ["/"], remaining: #"{"a":2}"#),
    .init(id: "duplicates-all-removed", body: #"{"a":1,"b":2,"a":3}"#, pointers: ["/a"], remaining: #"{"b":2}"#),
    .init(id: "whole-document-ignored", body: #"{"a":1}"#, pointers: [""], remaining: #"{"a":1}"#),
    .init(id: "invalid-pointer-ignored", body: #"{"user":1}"#, pointers: ["user", "/a~2"], remaining: #"{"user":1}"#),
    .init(
        id: "parent-and-child", body: #"{"a":{"b":1},"c":1}"#, pointers: ["/a/b", "/a"], remaining: #"{"c":1}"#),
]

/// A pointer string and whether `isValidPointer` accepts it.
struct PointerSyntaxCase: CustomTestStringConvertible, Sendable {
    var id: String
    var pointer: String
    var valid: Bool
    var testDescription: String { self.id }
}

let pointerSyntaxCases: [PointerSyntaxCase] = [
    .init(id: "member", pointer: "/user", valid: true),
    .init(id: "nested", pointer: "/generationConfig/seed", valid: true),
    .init(id: "escapes", pointer: "/a~1b/c~0d", valid: true),
    .init(id: "empty-token", pointer: "/", valid: true),
    .init(id: "whole-document", pointer: "", valid: false),
    .init(id: "no-leading-slash", pointer: "user", valid: false),
    .init(id: "tilde-two", pointer: "/a~2", valid: false),
    .init(id: "trailing-tilde", pointer: "/a~", valid: false),
    .init(id: "uri-fragment-form", pointer: "#/a", valid: false),
]

@Suite("JSON Pointer removal")
struct PointerRemovalTests {
    @Test("removing members", arguments: removalCases)
    func removing(_ testCase: RemovalCase) throws {
        let value = try #require(JSONParser.parse(bytes(testCase.body)))
        let remaining = CanonicalJSON.removing(testCase.pointers, from: value)
        #expect(CanonicalJSON.serialize(remaining) == bytes(testCase.remaining))
    }

    @Test("pointer syntax", arguments: pointerSyntaxCases)
    func syntax(_ testCase: PointerSyntaxCase) {
        #expect(CanonicalJSON.isValidPointer(testCase.pointer) == testCase.valid)
    }
}
