import HTTPCaching
import Testing

struct VaryCase: CustomTestStringConvertible, Sendable {
    var id: String
    var spec: String
    var vary: [String]
    var storedRequest: [String]
    var newRequest: [String]
    var matches: Bool
    var testDescription: String { "\(self.id) [\(self.spec)]" }
}

let varyCases: [VaryCase] = [
    .init(
        id: "vary-none", spec: "RFC 9111 §4.1", vary: [], storedRequest: ["Accept: a"], newRequest: ["Accept: b"],
        matches: true),
    .init(
        id: "vary-same", spec: "RFC 9111 §4.1", vary: ["Accept"], storedRequest: ["Accept: a"],
        newRequest: ["accept: a"], matches: true),
    .init(
        id: "vary-different", spec: "RFC 9111 §4.1", vary: ["Accept"], storedRequest: ["Accept: a"],
        newRequest: ["Accept: b"], matches: false),
    .init(
        id: "vary-case-of-value-matters", spec: "RFC 9111 §4.1", vary: ["Accept"], storedRequest: ["Accept: A"],
        newRequest: ["Accept: a"], matches: false),
    .init(
        id: "vary-absent-both", spec: "RFC 9111 §4.1", vary: ["Accept-Language"], storedRequest: [],
        newRequest: [], matches: true),
    .init(
        id: "vary-absent-one", spec: "RFC 9111 §4.1", vary: ["Accept-Language"], storedRequest: [],
        newRequest: ["Accept-Language: en"], matches: false),
    .init(
        id: "vary-empty-vs-absent", spec: "RFC 9111 §4.1", vary: ["X-A"], storedRequest: ["X-A: "],
        newRequest: [], matches: false),
    .init(
        id: "vary-combined-lines", spec: "RFC 9111 §4.1", vary: ["Accept"], storedRequest: ["Accept: a, b"],
        newRequest: ["Accept: a", "Accept: b"], matches: true),
    .init(
        id: "vary-whitespace", spec: "RFC 9111 §4.1", vary: ["Accept"], storedRequest: ["Accept: a,b"],
        newRequest: ["Accept:   a ,   b  "], matches: true),
    .init(
        id: "vary-inner-space-collapsed", spec: "Leniencies", vary: ["User-Agent"], storedRequest: ["User-Agent: x  y"],
        newRequest: ["User-Agent: x y"], matches: true),
    .init(
        id: "vary-order-matters", spec: "RFC 9111 §4.1", vary: ["Accept"], storedRequest: ["Accept: a, b"],
        newRequest: ["Accept: b, a"], matches: false),
    .init(
        id: "vary-two-fields-repeated-lines", spec: "RFC 9111 §4.1", vary: ["Accept", "ACCEPT-ENCODING, accept"],
        storedRequest: ["Accept: a", "Accept-Encoding: gzip"], newRequest: ["Accept-Encoding: gzip", "Accept: a"],
        matches: true),
]

@Test(arguments: varyCases)
func varyMatching(_ testCase: VaryCase) throws {
    let key = try #require(VaryKey(varyFieldValues: testCase.vary, requestHeaders: fields(testCase.storedRequest)))
    #expect(key.matches(fields(testCase.newRequest)) == testCase.matches)
    #expect(key.matches(fields(testCase.storedRequest)))
}

@Test func varyStarHasNoKey() {
    #expect(VaryKey(varyFieldValues: ["Accept, *"], requestHeaders: fields([])) == nil)
    #expect(VaryKey(varyFieldValues: [" * "], requestHeaders: fields([])) == nil)
}

@Test func varyKeyIsHashableAndNormalized() throws {
    let one = try #require(VaryKey(varyFieldValues: ["Accept, Accept-Encoding"], requestHeaders: fields(["Accept: a"])))
    let two = try #require(
        VaryKey(varyFieldValues: ["accept-encoding", "accept"], requestHeaders: fields(["ACCEPT:  a"])))
    #expect(one == two)
    #expect(one.hashValue == two.hashValue)
    #expect(one.fieldNames == ["accept", "accept-encoding"])
    #expect(VaryKey(varyFieldValues: [], requestHeaders: fields(["Accept: a"])) == VaryKey.empty)
}
