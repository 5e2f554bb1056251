import Testing

@testable import ProxyCore

/// Partitions are HMAC-SHA256 of a fixed byte layout under the secret: pinned here against values computed
/// independently (Python's `hmac`), since every instance of a fleet must compute the same partition.
@Suite struct CredentialHasherTests {
    let hasher = CredentialHasher(secret: Array(0..<32))

    struct Pinned: CustomTestStringConvertible, Sendable {
        let name: String
        let parts: [(label: String, values: [String])]
        let partition: String
        var testDescription: String { self.name }
    }

    static let pinned: [Pinned] = [
        Pinned(name: "one header", parts: [("h:xi-api-key", ["sk_abc"])], partition: "9e377d4cf433e1be5dd0de7ca30108d9"),
        Pinned(
            name: "two values and an absent query parameter",
            parts: [("h:xi-api-key", ["sk_abc", "sk_def"]), ("q:key", [])],
            partition: "e249480ad7fc08a1c229b65522e19d06"
        ),
        Pinned(name: "no credential at all", parts: [("h:xi-api-key", [])], partition: CredentialHasher.anonymous),
    ]

    @Test(arguments: pinned)
    func partitionsArePinned(_ c: Pinned) {
        #expect(self.hasher.partition(c.parts) == c.partition)
        // The same again from the same template: it is copied, never consumed.
        #expect(self.hasher.partition(c.parts) == c.partition)
    }

    @Test func theMemoAnswersOnlyForTheSameCredentials() {
        var memo = CredentialHasher.Memo()
        let first = self.hasher.partition([("h:xi-api-key", ["sk_abc"])], memo: &memo)
        #expect(first == "9e377d4cf433e1be5dd0de7ca30108d9")
        #expect(self.hasher.partition([("h:xi-api-key", ["sk_abc"])], memo: &memo) == first)
        let other = self.hasher.partition([("h:xi-api-key", ["sk_abd"])], memo: &memo)
        #expect(other != first)
        #expect(other == self.hasher.partition([("h:xi-api-key", ["sk_abd"])]))
        // A different label with the same value is a different partition.
        #expect(self.hasher.partition([("h:authorization", ["sk_abd"])], memo: &memo) != other)
        #expect(self.hasher.partition([("h:xi-api-key", [])], memo: &memo) == CredentialHasher.anonymous)
    }
}
