import ArgumentParser
import Dispatch
import Foundation
import Logging
import ProxyConfig
import ProxyCore

/// `reprise --config proxy.conf`: runs the proxy until SIGTERM or SIGINT; SIGHUP reloads the file.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the proxy (the default).")

    @Option(name: .shortAndLong, help: "Path to proxy.conf.")
    var config: String = "proxy.conf"

    @Option(help: "Event-loop threads (default: REPRISE_THREADS or the number of cores).")
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
            ?? ProcessInfo.processInfo.activeProcessorCount
        let server = try ProxyServer(configuration: configuration, logger: logger, threads: threads, configPath: self.config)
        try await server.start()
        print("reprise: \(configuration.summary); listening on port \(server.port)")

        let signals = SignalWatcher()
        for await signal in signals.stream {
            switch signal {
            case SIGHUP:
                do {
                    _ = try server.reloadFromFile()
                } catch let error as ConfigError {
                    logger.error("reload rejected; the previous configuration keeps serving", metadata: ["errors": "\(error.description)"])
                } catch {
                    logger.error("reload failed; the previous configuration keeps serving", metadata: ["error": "\(error)"])
                }
            default:
                logger.info("shutting down: no new connections; requests in flight may finish")
                signals.finish()
            }
        }
        try await server.shutdown()
    }
}

/// SIGTERM, SIGINT and SIGHUP as an async stream (Dispatch sources; the default actions are ignored).
///
/// `@unchecked Sendable`: the sources are created in `init` and only kept alive afterwards, never mutated.
final class SignalWatcher: @unchecked Sendable {
    let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    private let sources: [DispatchSourceSignal]

    init(signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        self.continuation = continuation
        self.sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    func finish() {
        self.continuation.finish()
    }
}
