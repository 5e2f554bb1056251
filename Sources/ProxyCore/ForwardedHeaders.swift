import HTTPCaching
import NIOCore
import NIOHTTP1

/// Header rewriting in both directions (RFC 9110 §7.6).
enum ForwardedHeaders {
    static let viaToken = "reprise"

    /// The request headers sent upstream: hop-by-hop fields removed (RFC 9110 §7.6.1), `Host` left for the
    /// client library to set to the upstream's, forwarding fields added.
    static func request(_ head: HTTPRequestHead, remoteAddress: SocketAddress?) -> HTTPHeaders {
        var headers = head.headers
        for name in HopByHop.fieldNamesToRemove(connectionValues: headers["connection"]) {
            headers.remove(name: name)
        }
        // Reprise's own request controls (`ClientControls`) are for Reprise alone.
        for name in ClientControls.requestFields { headers.remove(name: name) }
        let host = headers.first(name: "host")
        headers.remove(name: "host")
        headers.remove(name: "content-length")
        if let ip = remoteAddress?.ipAddress {
            let previous = headers[canonicalForm: "x-forwarded-for"].map(String.init)
            headers.replaceOrAdd(name: "x-forwarded-for", value: (previous + [ip]).joined(separator: ", "))
        }
        headers.replaceOrAdd(name: "x-forwarded-proto", value: "http")
        if let host, !headers.contains(name: "x-forwarded-host") {
            headers.add(name: "x-forwarded-host", value: host)
        }
        headers.add(name: "via", value: self.via(head.version))
        return headers
    }

    /// The upstream's response headers minus hop-by-hop fields; `Content-Length` stays (same body).
    static func response(_ upstream: HTTPHeaders) -> HTTPHeaders {
        var headers = upstream
        for name in HopByHop.fieldNamesToRemove(connectionValues: headers["connection"]) {
            headers.remove(name: name)
        }
        return headers
    }

    static func via(_ version: HTTPVersion) -> String {
        "\(version.major).\(version.minor) \(self.viaToken)"
    }

    /// The method as it goes on the wire: NIO names `M-SEARCH` `MSEARCH`, which an upstream would reject.
    static func wireMethod(_ method: HTTPMethod) -> HTTPMethod {
        method == .MSEARCH ? .RAW(value: "M-SEARCH") : method
    }

    static func isSafe(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .TRACE: return true
        default: return false
        }
    }
}
