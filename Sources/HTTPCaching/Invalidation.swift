/// Which stored URIs an unsafe request invalidates (RFC 9111 §4.4).
public enum Invalidation: Sendable {
    /// RFC 9110 §9.2.1: safe methods never invalidate.
    static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "TRACE"]

    /// The paths (path + query) to invalidate after a response to `method`: the request path, and
    /// the `Location` / `Content-Location` targets when they are same-origin. Empty for safe
    /// methods and for responses outside 2xx/3xx.
    /// - Parameter sameOriginAuthorities: `host[:port]` values the proxy answers for (compared
    ///   case-insensitively; a missing port is the scheme's default).
    public static func targets(
        method: String,
        status: Int,
        requestPath: String,
        responseHeaders: some HTTPFieldReading,
        sameOriginAuthorities: [String]
    ) -> [String] {
        // RFC 9111 §4.4: an unsafe method (any method not known to be safe) with a non-error status.
        guard !Self.safeMethods.contains(method), (200..<400).contains(status) else {
            return []
        }
        var targets = [requestPath]
        // RFC 9111 §4.4: also Location and Content-Location, but only for the same host.
        for name in ["location", "content-location"] {
            guard let value = responseHeaders.fieldValues(name).first,
                let path = Self.sameOriginPath(
                    String(FieldParsing.trimOWS(value)), base: requestPath, authorities: sameOriginAuthorities),
                !targets.contains(path)
            else {
                continue
            }
            targets.append(path)
        }
        return targets
    }

    // MARK: URI references (RFC 3986 §4.2, §5.2)

    static func sameOriginPath(_ reference: String, base: String, authorities: [String]) -> String? {
        var reference = Substring(reference)
        if let hash = reference.firstIndex(of: "#") {
            reference = reference[..<hash]
        }
        if let (scheme, rest) = Self.splitScheme(reference) {
            guard scheme == "http" || scheme == "https", rest.hasPrefix("//") else {
                return nil
            }
            return Self.networkPath(rest.dropFirst(2), scheme: scheme, authorities: authorities)
        }
        if reference.hasPrefix("//") {
            return Self.networkPath(reference.dropFirst(2), scheme: nil, authorities: authorities)
        }
        if reference.isEmpty {
            return base
        }
        let (basePath, _) = Self.splitQuery(Substring(base))
        if reference.hasPrefix("?") {
            return String(basePath) + reference
        }
        let (path, query) = Self.splitQuery(reference)
        let merged: String
        if path.hasPrefix("/") {
            merged = String(path)
        } else {
            let directory = basePath.lastIndex(of: "/").map { basePath[...$0] } ?? "/"
            merged = String(directory) + path
        }
        return Self.removeDotSegments(merged) + query
    }

    private static func networkPath(_ rest: Substring, scheme: String?, authorities: [String]) -> String? {
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<end]
        guard Self.authority(authority, scheme: scheme, isIn: authorities) else {
            return nil
        }
        let (path, query) = Self.splitQuery(rest[end...])
        return Self.removeDotSegments(path.isEmpty ? "/" : String(path)) + query
    }

    /// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
    private static func splitScheme(_ reference: Substring) -> (String, Substring)? {
        guard let colon = reference.firstIndex(of: ":") else {
            return nil
        }
        let scheme = reference[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else {
            return nil
        }
        return (scheme.lowercased(), reference[reference.index(after: colon)...])
    }

    private static func splitQuery(_ value: Substring) -> (Substring, Substring) {
        guard let question = value.firstIndex(of: "?") else {
            return (value, "")
        }
        return (value[..<question], value[question...])
    }

    /// Host compared case-insensitively, ports compared with the scheme's default filled in.
    private static func authority(_ authority: Substring, scheme: String?, isIn authorities: [String]) -> Bool {
        let defaultPort: Int? = scheme == "https" ? 443 : (scheme == "http" ? 80 : nil)
        guard let target = Self.hostAndPort(authority, defaultPort: defaultPort) else {
            return false
        }
        return authorities.contains { candidate in
            Self.hostAndPort(Substring(candidate), defaultPort: defaultPort).map { $0 == target } ?? false
        }
    }

    private static func hostAndPort(_ authority: Substring, defaultPort: Int?) -> (String, Int?)? {
        var hostPort = authority
        if let at = hostPort.lastIndex(of: "@") {  // drop userinfo
            hostPort = hostPort[hostPort.index(after: at)...]
        }
        var host = hostPort
        var port: Int? = defaultPort
        let portSeparator = hostPort.hasPrefix("[")
            ? hostPort.lastIndex(of: "]").flatMap { hostPort[$0...].firstIndex(of: ":") }
            : hostPort.lastIndex(of: ":")
        if let separator = portSeparator {
            host = hostPort[..<separator]
            let digits = hostPort[hostPort.index(after: separator)...]
            if !digits.isEmpty {
                guard let value = Int(digits) else {
                    return nil
                }
                port = value
            }
        }
        guard !host.isEmpty else {
            return nil
        }
        return (host.lowercased(), port)
    }

    /// RFC 3986 §5.2.4, for an absolute path.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var trailingSlash = false
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            switch segment {
            case ".":
                trailingSlash = isLast
            case "..":
                _ = output.popLast()
                trailingSlash = isLast
            default:
                output.append(segment)
                trailingSlash = false
            }
        }
        return "/" + output.joined(separator: "/") + (trailingSlash && !output.isEmpty ? "/" : "")
    }
}
