import Admin
import ArgumentParser
import Foundation
import Logging
import ProxyConfig
import ProxyCore
import ServiceLifecycle
import UnixSignals

/// `reprise --config proxy.conf`: runs the proxy in a `ServiceGroup` until SIGTERM or SIGINT starts a graceful
/// shutdown (no new connections; requests in flight get `shutdown_timeout`), then exits 0. SIGHUP reloads the file.
struct RunCommand: AsyncParsableCommand {
    /// A `ListenError`, also when the service group wraps it.
    static func listenError(_ error: Error) -> ListenError? {
        if let listen = error as? ListenError { return listen }
        let mirror = Mirror(reflecting: error)
        for child in mirror.children {
            if let listen = child.value as? ListenError { return listen }
        }
        return nil
    }

    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the proxy (the default).")

    @Option(name: .shortAndLong, help: "Path to proxy.conf.")
    var config: String = "proxy.conf"

    @Option(help: "Event-loop threads (default: REPRISE_THREADS, else the CPUs this process may use: its affinity mask and cgroup CPU quota).")
    var threads: Int?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["REPRISE_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
            return handler
        }
        let logger = Logger(label: "reprise")
        let configuration: ProxyConfiguration
        do {
            configuration = try ConfigLoader.load(path: self.config)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
        let threads =
            self.threads ?? ProcessInfo.processInfo.environment["REPRISE_THREADS"].flatMap { Int($0) }
            ?? CPUBudget.current()
        let server = try ProxyServer(configuration: configuration, logger: logger, threads: threads, configPath: self.config)

        // SIGHUP is trapped before the listener opens: a reload sent as soon as the port answers must never meet the
        // default action, which ends the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let summary = configuration.summary
        let proxy = ProxyService(server: server, admin: AdminAPI.mount) { server in
            // Unbuffered, so that a supervisor or a test reading a pipe sees the port at once (the admin port first, on a
            // line of its own, so that whoever waits for the first line has both).
            if let admin = server.adminPort {
                FileHandle.standardOutput.write(Data("reprise: admin API on port \(admin)\n".utf8))
            }
            FileHandle.standardOutput.write(Data("reprise: \(summary); listening on port \(server.port)\n".utf8))
        }
        // Graceful shutdown runs through the services in reverse: the proxy drains first, and a SIGHUP during the
        // drain still reloads; the reloader stops last.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: ConfigReloadService(server: server, hangups: hangups, logger: logger)),
                    .init(service: proxy),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            if let listen = Self.listenError(error) {
                // The one line a person needs: which address, why, and what to do.
                FileHandle.standardError.write(Data("reprise: \(listen)\n".utf8))
            } else {
                logger.error("reprise stopped on an error", metadata: ["error": "\(error)"])
            }
            throw ExitCode(1)
        }
    }
}
