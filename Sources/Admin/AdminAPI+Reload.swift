import ProxyConfig
import ProxyCore
import Observability

extension AdminAPI {
    /// POST /reload: re-reads proxy.conf. A bad file is rejected with every problem (line, key, fix) and the
    /// running configuration keeps serving.
    func reload() -> Reply {
        do {
            let configuration = try self.server.reloadFromFile()
            return Reply(status: .ok, json: "{\"reloaded\":true,\"summary\":\"\(JSONText.escape(configuration.summary))\"}")
        } catch let error as ConfigError {
            self.server.logger.error("reload rejected; the previous configuration keeps serving", metadata: ["errors": "\(error.description)"])
            return Reply(
                status: .unprocessableEntity,
                json: "{\"reloaded\":false,\"error\":\"\(JSONText.escape(error.description))\"}"
            )
        } catch {
            return Reply(status: .internalServerError, json: "{\"reloaded\":false,\"error\":\"\(JSONText.escape("\(error)"))\"}")
        }
    }
}
