import Testing

@testable import Admin

/// The parameters of `GET /entries`, checked on the parser itself.
@Suite struct EntriesQueryTests {
    /// Cases an HTTP client would re-encode before sending, checked on the parser itself.
    @Test(arguments: ["prefix=%zz", "tag=%4", "prefix=%"])
    func strayPercentSignsAreRejected(query: String) {
        #expect(throws: EntriesQuery.Problem.self) { try EntriesQuery.parse(query).get() }
    }

    @Test func plusStaysAPlusAndEmptyValuesMeanNoFilter() throws {
        let parsed = try EntriesQuery.parse("prefix=/a+b%20c&tag=&limit=7&").get()
        #expect(parsed == EntriesQuery(prefix: "/a+b c", tag: nil, limit: 7, after: nil))
    }
}
