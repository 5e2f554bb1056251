import ArgumentParser
import ProxyCore

@main
struct Reprise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reprise",
        abstract: "A caching reverse proxy for expensive APIs.",
        version: "reprise \(RepriseVersion.current)",
        subcommands: [RunCommand.self, CheckCommand.self, DemoCommand.self, UpstreamCommand.self, PartitionIDCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
