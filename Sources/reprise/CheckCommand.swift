import ArgumentParser
import Foundation
import ProxyConfig

/// `reprise check proxy.conf`: every problem with line, key and fix (exit 1), or a one-line summary (exit 0).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a proxy.conf file.")

    @Argument(help: "Path to proxy.conf.")
    var path: String = "proxy.conf"

    func run() throws {
        do {
            let configuration = try ConfigLoader.load(path: self.path)
            print("\(self.path): OK — \(configuration.summary)")
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
    }
}
