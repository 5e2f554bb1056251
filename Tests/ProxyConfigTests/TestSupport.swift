import Testing

@testable import ProxyConfig

/// One upstream at lines 1-4 and a blank line 5: cases append their sections from line 6 on.
let baseUpstream = [
    "[[upstream]]",
    "name = \"elevenlabs\"",
    "prefix = \"/elevenlabs\"",
    "url = \"https://api.elevenlabs.io\"",
    "",
    "",
].joined(separator: "\n")

/// The problem descriptions for `text`, or [] when it is valid.
func problems(_ text: String, environment: [String: String] = [:]) -> [String] {
    do {
        _ = try ConfigLoader.parse(text, environment: environment)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

/// A named bad input and every problem description it must produce, in order.
struct BadCase: CustomTestStringConvertible, Sendable {
    var name: String
    var text: String
    var expected: [String]
    var environment: [String: String] = [:]

    init(_ name: String, _ text: String, _ expected: String..., environment: [String: String] = [:]) {
        self.name = name
        self.text = text
        self.expected = expected
        self.environment = environment
    }

    var testDescription: String { self.name }
}
