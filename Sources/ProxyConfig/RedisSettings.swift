/// `[redis]`: fleet mode. Absent → one process, nothing needs Redis.
public struct RedisSettings: Sendable, Equatable {
    /// Where Redis is (`redis://[[user]:password@]host[:port][/db]`).
    public var endpoint: RedisEndpoint
    /// Prefix of every key and channel Reprise uses, so that fleets (or other programs) can share one Redis.
    public var keyPrefix: String
    /// Bound on a connection attempt.
    public var connectTimeout: Duration
    /// Bound on every command: a slower Redis is treated as absent for that request.
    public var commandTimeout: Duration
    /// Larger bodies stay in L1 only (the issue's `redis_max_object`).
    public var maxObject: Int
    /// How long a writer waits for the other instances to confirm a purge before answering its client.
    public var purgeAckTimeout: Duration
    /// How long an instance's claim on a key it is fetching lasts unrenewed (cross-instance single flight): the
    /// longest other instances wait before taking over from an instance that died holding it.
    public var coalesceLease: Duration

    public init(
        endpoint: RedisEndpoint,
        keyPrefix: String = "reprise:",
        connectTimeout: Duration = .milliseconds(500),
        commandTimeout: Duration = .milliseconds(250),
        maxObject: Int = 1 << 20,
        purgeAckTimeout: Duration = .milliseconds(250),
        coalesceLease: Duration = .seconds(2)
    ) {
        self.coalesceLease = coalesceLease
        self.endpoint = endpoint
        self.keyPrefix = keyPrefix
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.maxObject = maxObject
        self.purgeAckTimeout = purgeAckTimeout
    }
}

/// A parsed `redis://` URL. `password` is a secret: `description` never shows it.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// "redis://host:port/db", with the credentials left out.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "redis://\(host):\(self.port)/\(self.database)"
    }

    static let formatFix = "write url = \"redis://127.0.0.1:6379/0\", with a password as \"redis://:${REDIS_PASSWORD}@host:6379/0\"."

    /// Parses `redis://[[user]:password@]host[:port][/db]`.
    static func parse(_ text: String) throws(ValueError) -> RedisEndpoint {
        guard text.hasPrefix("redis://") else {
            if text.hasPrefix("rediss://") {
                throw ValueError(reason: "uses TLS (rediss://), which Reprise does not support yet", fix: "use redis:// on a private network, or a local TLS tunnel.")
            }
            throw ValueError(reason: "is not a redis:// URL", fix: Self.formatFix)
        }
        var rest = Substring(text.dropFirst("redis://".count))
        var endpoint = RedisEndpoint(host: "")
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                let user = userinfo[..<colon]
                endpoint.username = user.isEmpty ? nil : String(user)
                let password = userinfo[userinfo.index(after: colon)...]
                endpoint.password = password.isEmpty ? nil : String(password)
            } else if !userinfo.isEmpty {
                // redis://secret@host: the lone part is the password (as redis-cli reads it).
                endpoint.password = String(userinfo)
            }
        }
        var hostPort = rest
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard db.allSatisfy(\.isASCIIDigit), db.count <= 5, let number = Int(db) else {
                    throw ValueError(reason: "has a database that is not a number", fix: Self.formatFix)
                }
                endpoint.database = number
            }
        }
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw ValueError(reason: "has an unclosed [ in its host", fix: Self.formatFix)
            }
            endpoint.host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            hostPort = hostPort[hostPort.index(after: close)...]
            if hostPort.hasPrefix(":") { hostPort = "0" + hostPort }
            else if !hostPort.isEmpty { throw ValueError(reason: "is not a redis:// URL", fix: Self.formatFix) }
            else { hostPort = "0" }
        }
        if let colon = hostPort.lastIndex(of: ":") {
            let portText = hostPort[hostPort.index(after: colon)...]
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit), let port = Int(portText),
                (1...65535).contains(port)
            else {
                throw ValueError(reason: "has a port outside 1...65535", fix: Self.formatFix)
            }
            endpoint.port = port
            if endpoint.host.isEmpty { endpoint.host = String(hostPort[..<colon]) }
        } else if endpoint.host.isEmpty {
            endpoint.host = String(hostPort)
        }
        guard !endpoint.host.isEmpty,
            endpoint.host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:%".contains($0)) })
        else {
            throw ValueError(reason: "has no valid host", fix: Self.formatFix)
        }
        return endpoint
    }
}
