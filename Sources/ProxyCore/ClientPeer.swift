import NIOCore
import NIOHTTP1
import ProxyConfig

/// The other end of a client connection, as far as forwarding fields are concerned: its address, and whether it is
/// one of `[server] trusted_proxies` (a load balancer in front of Reprise), whose `X-Forwarded-*` fields are believed.
struct ClientPeer: Equatable {
    /// The peer's address as text ("10.1.2.3", "::1"); nil for a peer without an IP address (a Unix socket).
    let ip: String?
    let trusted: Bool

    init(ip: String?, trusted: Bool) {
        self.ip = ip
        self.trusted = trusted
    }

    init(address: SocketAddress?, trustedProxies: [AddressRange]) {
        let ip = address?.ipAddress
        self.ip = ip
        if trustedProxies.isEmpty {
            self.trusted = false
        } else if let ip, let bytes = IPAddressText.parse(ip) {
            self.trusted = trustedProxies.contains { $0.contains(bytes) }
        } else {
            self.trusted = false
        }
    }

    /// The scheme and host the client asked for, as the cache key holds them (RFC 9111 §2: the key is the target
    /// URI, authority included). From an untrusted peer it is its `Host` (the scheme is Reprise's own, http); from a
    /// trusted one, its `X-Forwarded-Proto` and `X-Forwarded-Host` when present. Reprise passes this same host on as
    /// `X-Forwarded-Host`, so an upstream that builds links from it is answered once per host, never poisoned across
    /// hosts. ASCII case is folded (RFC 9110 §4.2.3).
    func authority(host: String?, headers: HTTPHeaders) -> String {
        guard self.trusted else { return Self.folded(host ?? "") }
        let forwardedHost = headers.first(name: "x-forwarded-host") ?? host ?? ""
        let proto = headers.first(name: "x-forwarded-proto") ?? "http"
        return Self.folded(proto) + "://" + Self.folded(forwardedHost)
    }

    private static func folded(_ text: String) -> String {
        for byte in text.utf8 where byte &- UInt8(ascii: "A") < 26 {
            return text.lowercased()
        }
        return text
    }
}
