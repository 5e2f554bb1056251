/// A listening address: `host:port`, or `[v6-address]:port`. Port 0 asks the system for a free port.
public struct HostPort: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Host name or address; an IPv6 address is kept without brackets ("::1").
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses "host:port" or "[::1]:port"; nil when it is not one.
    public init?(parsing text: String) {
        guard let value = try? Self.parse(text) else {
            return nil
        }
        self = value
    }

    /// "0.0.0.0:8080", or "[::1]:8080" for an IPv6 host.
    public var description: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }

    static let formatFix = "write host:port, e.g. \"0.0.0.0:8080\", \"127.0.0.1:9090\" or \"[::1]:8080\"."

    static func parse(_ text: String) throws(ValueError) -> HostPort {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                text[text.index(after: close)...].hasPrefix(":")
            else {
                throw ValueError(reason: "is not a host:port address", fix: Self.formatFix)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ValueError(reason: "is not a host:port address", fix: Self.formatFix)
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, host.allSatisfy(Self.isHostCharacter), !portText.isEmpty,
            portText.allSatisfy(\.isASCIIDigit)
        else {
            throw ValueError(reason: "is not a host:port address", fix: Self.formatFix)
        }
        guard portText.count <= 5, let port = Int(portText), port <= 65535 else {
            throw ValueError(reason: "has a port outside 0...65535", fix: Self.formatFix)
        }
        return HostPort(host: String(host), port: port)
    }

    private static func isHostCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || ".-:_%".contains(character))
    }
}

extension Character {
    var isASCIIDigit: Bool {
        self.isASCII && self.isNumber
    }
}
