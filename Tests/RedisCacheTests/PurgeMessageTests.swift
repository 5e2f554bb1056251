import Testing

@testable import RedisCache

@Suite("PurgeMessage")
struct PurgeMessageTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var message: PurgeMessage
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "no purges", message: PurgeMessage(origin: "a1", id: 1, sequence: 0, purges: [])),
        Case(
            name: "every selector kind",
            message: PurgeMessage(
                origin: "instance-7f3a",
                id: 42,
                sequence: 1_000_001,
                purges: [
                    FleetPurge(.target("/elevenlabs/v1/voices?show_legacy=true")),
                    FleetPurge(.path("/elevenlabs/v1/voices"), partition: "00ff"),
                    FleetPurge(.prefix("/gemini/")),
                    FleetPurge(.pattern("/elevenlabs/v1/voices/**"), partition: "ab12"),
                    FleetPurge(.tag("voices"), partition: "-"),
                    FleetPurge(.key("f1761a99a75ce55a")),
                    FleetPurge(.all),
                ]
            )
        ),
        Case(name: "empty prefix", message: PurgeMessage(origin: "o", id: 2, sequence: 3, purges: [FleetPurge(.prefix(""))])),
    ]

    @Test(arguments: Self.cases)
    func roundTrips(_ c: Case) throws {
        let text = try #require(c.message.encoded())
        #expect(PurgeMessage(decoding: text) == c.message)
    }

    @Test func refusesValuesThatWouldBreakTheFraming() {
        #expect(PurgeMessage(origin: "o", id: 1, sequence: 1, purges: [FleetPurge(.tag("a\tb"))]).encoded() == nil)
        #expect(PurgeMessage(origin: "o", id: 1, sequence: 1, purges: [FleetPurge(.path("/a\n"))]).encoded() == nil)
    }

    static let garbage: [String] = [
        "",
        "hello",
        "reprise-purge 2\no\n1\n1",
        "reprise-purge 1\n\n1\n1",
        "reprise-purge 1\no\nx\n1",
        "reprise-purge 1\no\n1\n1\nunknown\t*\tx",
        "reprise-purge 1\no\n1\n1\ntag\tvoices",
        "reprise-purge 1\no\n1\n1\ntag\t\tvoices",
    ]

    @Test(arguments: Self.garbage)
    func ignoresWhatIsNotAPurge(_ text: String) {
        #expect(PurgeMessage(decoding: text) == nil)
    }

    @Test func pathPrefixes() {
        #expect(FleetPurge(.target("/a/b?x=1")).pathPrefix == "/a/b")
        #expect(FleetPurge(.pattern("/v1/voices/*/edit")).pathPrefix == "/v1/voices/")
        #expect(FleetPurge(.pattern("**")).pathPrefix == "")
        #expect(FleetPurge(.tag("t")).pathPrefix == nil)
    }
}
