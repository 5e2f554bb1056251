import ArgumentParser
import Foundation
import ProxyConfig
import ProxyCore

/// `reprise partition-id --config proxy.conf < key`: the short id under which `GET /partitions` and the dashboard
/// list the spend of one API key, computed under the config's `key_secret`. The key is read from standard input (never
/// an argument, which `ps` and shell histories would show) and is neither printed nor kept.
struct PartitionIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partition-id",
        abstract: "Print the ledger id of an API key read on standard input."
    )

    @Option(name: .shortAndLong, help: "Path to proxy.conf.")
    var config: String = "proxy.conf"

    func run() throws {
        let configuration: ProxyConfiguration
        do {
            configuration = try ConfigLoader.load(path: self.config)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
        guard let secret = configuration.cache.keySecret else {
            FileHandle.standardError.write(
                Data(
                    ("reprise: \(self.config) sets no key_secret, so each start (or the fleet, through Redis) makes a "
                        + "random one and ids cannot be computed here. Fix: set [cache] key_secret = "
                        + "\"${REPRISE_KEY_SECRET}\" (at least 16 characters) on every instance.\n").utf8
                )
            )
            throw ExitCode(1)
        }
        var input = FileHandle.standardInput.readDataToEndOfFile()
        defer { input.resetBytes(in: 0..<input.count) }
        var key = String(decoding: input, as: UTF8.self)
        while key.last == "\n" || key.last == "\r" { key.removeLast() }
        guard !key.isEmpty else {
            FileHandle.standardError.write(Data("reprise: no key on standard input. Fix: printf %s \"$KEY\" | reprise partition-id\n".utf8))
            throw ExitCode(64)
        }
        print(PartitionID.of(key: key, secret: Array(secret.utf8)))
    }
}
