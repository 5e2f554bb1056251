import NIOCore

/// A listener that could not be opened, with the address it was for: "listen 0.0.0.0:8080: address already in use".
public struct ListenError: Error, CustomStringConvertible {
    /// The config key: `listen` or `admin_listen`.
    public var key: String
    public var host: String
    public var port: Int
    public var underlying: Error

    public var description: String {
        let address = self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
        var reason = "\(self.underlying)"
        var fix = "check the address in \(self.key)."
        if let io = self.underlying as? IOError {
            switch io.errnoCode {
            case 98, 48:  // EADDRINUSE (Linux, Darwin)
                reason = "the address is already in use"
                fix = "stop the process that listens there (ss -ltnp 'sport = :\(self.port)'), or choose another port "
                    + "in \(self.key)."
            case 13:  // EACCES
                reason = "permission denied"
                fix = "use a port above 1023, or give reprise the capability to bind low ports."
            case 99, 49:  // EADDRNOTAVAIL
                reason = "no interface of this machine has that address"
                fix = "use 127.0.0.1, 0.0.0.0 or an address of this machine in \(self.key)."
            default:
                break
            }
        }
        return "cannot listen on \(address) (server.\(self.key)): \(reason). Fix: \(fix)"
    }
}
