import Testing

@testable import ProxyCore

/// The fresh-hit path builds a request's primary key in the connection's byte buffer (`writePrimaryKey`), the rest of
/// the proxy as a string (`primaryKey`): the two must be the same bytes, or every fast hit would miss and fall through
/// to the full lookup.
@Suite struct PrimaryKeyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let target: String
        let partition: String
        let authority: String
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "anonymous", target: "/v1/voices", partition: "", authority: "http://api.example"),
        Case(name: "a partition and a query", target: "/v1/models?page=2", partition: "p-0123456789abcdef",
             authority: "https://api.example:8443"),
        Case(name: "non-ASCII in the target", target: "/bücher/ü?q=ä", partition: "x", authority: "http://h"),
        Case(name: "all empty", target: "", partition: "", authority: ""),
        Case(name: "a long target", target: "/" + String(repeating: "segment/", count: 300), partition: "p",
             authority: "http://a"),
    ]

    @Test(arguments: cases)
    func theBufferHoldsTheStringsBytes(_ c: Case) {
        let key = RequestKey(target: c.target, partition: c.partition, authority: c.authority)
        var bytes: [UInt8] = Array(repeating: 0x7A, count: 5000)  // what an earlier, longer key left behind
        ProxyHandler.writePrimaryKey(key, into: &bytes)
        #expect(bytes == Array(ProxyHandler.primaryKey(key).utf8))
    }
}
