/// Where an upstream lives: `http(s)://host[:port][/base/path]`, normalized.
public struct UpstreamURL: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// "http" or "https".
    public var scheme: String
    /// Lower-cased host name, or an IPv6 address without brackets.
    public var host: String
    /// The explicit port, or 80 / 443 for http / https.
    public var port: Int
    /// "" or a path such as "/v1", without a trailing slash; prepended to every forwarded path.
    public var basePath: String

    public init(scheme: String, host: String, port: Int? = nil, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port ?? (scheme == "https" ? 443 : 80)
        self.basePath = basePath
    }

    public var isTLS: Bool {
        self.scheme == "https"
    }

    /// "host", or "host:port" when the port is not the scheme's default (the `Host` header value).
    public var authority: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port == (self.isTLS ? 443 : 80) ? host : "\(host):\(self.port)"
    }

    /// "https://api.elevenlabs.io", "http://127.0.0.1:8000/v1".
    public var description: String {
        "\(self.scheme)://\(self.authority)\(self.basePath)"
    }

    static let schemeFix = "use http://host[:port] or https://host[:port]."

    static func parse(_ text: String) throws(ValueError) -> UpstreamURL {
        let lower = text.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") {
            scheme = "https"
        } else if lower.hasPrefix("http://") {
            scheme = "http"
        } else {
            throw ValueError(reason: "is not an http or https URL", fix: Self.schemeFix)
        }
        let rest = text.dropFirst(scheme.count + 3)
        if rest.contains("?") || rest.contains("#") {
            throw ValueError(
                reason: "has a query or fragment",
                fix: "remove everything from \"?\" or \"#\" on; the proxy forwards the client's query."
            )
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        if authority.contains("@") {
            throw ValueError(
                reason: "contains credentials",
                fix: "remove user:password@ from the URL; clients send their own credentials."
            )
        }
        let hostPort: HostPort
        if authority.hasPrefix("[") || authority.contains(":") {
            guard let parsed = try? HostPort.parse(String(authority)), parsed.port > 0 else {
                throw ValueError(reason: "does not have a valid host and port", fix: Self.schemeFix)
            }
            hostPort = parsed
        } else {
            guard !authority.isEmpty,
                authority.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) })
            else {
                throw ValueError(reason: "does not have a valid host", fix: Self.schemeFix)
            }
            hostPort = HostPort(host: String(authority), port: scheme == "https" ? 443 : 80)
        }
        var basePath = String(rest[slash...])
        while basePath.hasSuffix("/") {
            basePath.removeLast()
        }
        if basePath.contains("//") {
            throw ValueError(reason: "has an empty path segment", fix: "write the base path as /a/b, without \"//\".")
        }
        return UpstreamURL(
            scheme: scheme,
            host: hostPort.host.lowercased(),
            port: hostPort.port,
            basePath: basePath
        )
    }
}
