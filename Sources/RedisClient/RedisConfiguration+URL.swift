extension RedisConfiguration {
    /// Parses a URL of the form `redis://[[user]:password@]host[:port][/db]`.
    ///
    /// - The scheme is `redis://` (in any case); TLS (`rediss://`) is not supported.
    /// - User and password may be percent-encoded (`%40` for `@`); an empty user means none.
    /// - An IPv6 host is written in brackets: `redis://[::1]:6380`.
    /// - The port defaults to 6379 and the database to 0; the timeouts and backoff keep their
    ///   defaults.
    ///
    /// - Throws: ``RedisURLError`` saying what is wrong.
    public static func parse(url: String) throws -> RedisConfiguration {
        let scheme = "redis://"
        guard url.lowercased().hasPrefix(scheme) else {
            throw RedisURLError("scheme must be redis://")
        }
        let rest = url.dropFirst(scheme.count)
        guard !rest.contains("?"), !rest.contains("#") else {
            throw RedisURLError("query strings and fragments are not supported")
        }

        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
            path = ""
        }

        var configuration = RedisConfiguration()
        var hostAndPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostAndPort = authority[authority.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw RedisURLError("credentials must be written [user]:password@")
            }
            let user = try Self.percentDecoded(userInfo[..<colon], field: "user")
            let password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], field: "password")
            guard !password.isEmpty else {
                throw RedisURLError("password must not be empty")
            }
            configuration.username = user.isEmpty ? nil : user
            configuration.password = password
        }

        let (host, portText) = try Self.splitHostAndPort(hostAndPort)
        configuration.host = host
        if let portText {
            guard portText.allSatisfy(\.isASCIIDigit), let port = Int(portText), (1...65535).contains(port) else {
                throw RedisURLError("port must be 1-65535")
            }
            configuration.port = port
        }
        if !path.isEmpty {
            guard path.allSatisfy(\.isASCIIDigit), let database = Int(path) else {
                throw RedisURLError("database must be a number")
            }
            configuration.database = database
        }
        return configuration
    }

    /// Splits `host[:port]` or `[ipv6][:port]`.
    private static func splitHostAndPort(_ text: Substring) throws -> (host: String, port: Substring?) {
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else {
                throw RedisURLError("an IPv6 host must end with ]")
            }
            let host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard !host.isEmpty else {
                throw RedisURLError("host must not be empty")
            }
            if after.isEmpty {
                return (String(host), nil)
            }
            guard after.first == ":" else {
                throw RedisURLError("only :port may follow an IPv6 host")
            }
            return (String(host), after.dropFirst())
        }
        guard text.filter({ $0 == ":" }).count <= 1 else {
            throw RedisURLError("an IPv6 host must be written in brackets")
        }
        let host: Substring
        let port: Substring?
        if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            host = text
            port = nil
        }
        guard !host.isEmpty else {
            throw RedisURLError("host must not be empty")
        }
        return (String(host), port)
    }

    /// Decodes `%XX` escapes; the result must be UTF-8.
    private static func percentDecoded(_ text: Substring, field: String) throws -> String {
        guard text.contains("%") else {
            return String(text)
        }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw RedisURLError("\(field) has an invalid percent-escape")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw RedisURLError("\(field) is not valid UTF-8 once percent-decoded")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension Character {
    /// Whether this is one of the ASCII digits 0-9 (unlike `isNumber`, which takes any script's).
    fileprivate var isASCIIDigit: Bool {
        ("0"..."9").contains(self)
    }
}
