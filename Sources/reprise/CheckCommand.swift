import ArgumentParser
import Foundation
import ProxyConfig

/// `reprise check proxy.conf`: every problem with line, key and fix (exit 1), or a one-line summary (exit 0) after
/// the warnings, which name line, key and fix too but do not fail the check.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a proxy.conf file.")

    @Argument(help: "Path to proxy.conf.")
    var path: String = "proxy.conf"

    func run() throws {
        do {
            let configuration = try ConfigLoader.load(path: self.path)
            // Warnings do not fail the check: each on stderr, with line, key and fix, before the summary.
            for warning in configuration.warnings {
                FileHandle.standardError.write(Data((warning.description + "\n").utf8))
            }
            print("\(self.path): OK — \(configuration.summary)")
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
    }
}
