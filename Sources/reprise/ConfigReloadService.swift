import Logging
import ProxyConfig
import ProxyCore
import ServiceLifecycle
import UnixSignals

/// Re-reads the `--config` file on each SIGHUP until the service group shuts down. A bad file is logged with every
/// problem (line, key, fix) and the running configuration keeps serving.
struct ConfigReloadService: Service, CustomStringConvertible {
    let server: ProxyServer
    /// Trapped by the caller before the listeners open (see `RunCommand`).
    let hangups: UnixSignalsSequence
    let logger: Logger

    var description: String { "ConfigReloadService" }

    func run() async {
        for await _ in self.hangups.cancelOnGracefulShutdown() {
            self.reload()
        }
    }

    private func reload() {
        do {
            _ = try self.server.reloadFromFile()
        } catch let error as ConfigError {
            self.logger.error(
                "reload rejected; the previous configuration keeps serving",
                metadata: ["errors": "\(error.description)"]
            )
        } catch {
            self.logger.error("reload failed; the previous configuration keeps serving", metadata: ["error": "\(error)"])
        }
    }
}
