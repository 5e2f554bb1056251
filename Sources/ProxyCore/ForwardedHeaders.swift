import HTTPCaching
import NIOCore
import NIOHTTP1

/// Header rewriting in both directions (RFC 9110 §7.6).
enum ForwardedHeaders {
    static let viaToken = "reprise"

    /// Fields that tell an upstream where a request came from or how to rewrite it. From a client that is not a
    /// trusted proxy they are removed: an upstream that reads them (to build links, to pick a scheme, to override
    /// the method or the path) would otherwise let one client choose what a shared entry says. Reprise sets its own
    /// `X-Forwarded-For`, `-Proto` and `-Host`.
    static let clientControlledFields = [
        "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "forwarded",
        "x-forwarded-port", "x-forwarded-scheme", "x-forwarded-server", "x-forwarded-prefix", "x-forwarded-ssl",
        "x-real-ip", "x-host", "x-original-host", "x-original-url", "x-rewrite-url",
        "x-http-method-override", "x-http-method", "x-method-override", "front-end-https",
    ]

    /// The request headers sent upstream: hop-by-hop fields removed (RFC 9110 §7.6.1), `Host` left for the
    /// client library to set to the upstream's, forwarding fields replaced by Reprise's own (or, from a trusted
    /// peer, kept and `X-Forwarded-For` appended to), `Max-Forwards` decremented on OPTIONS and TRACE
    /// (RFC 9110 §7.6.2).
    /// With `upstreamHost`, the list starts with `Host: upstreamHost` (the field list that goes upstream as it is).
    static func request(_ head: HTTPRequestHead, peer: ClientPeer, upstreamHost: String? = nil) -> HTTPHeaders {
        // One pass over the client's fields (a removal per name, each a scan of every field, was most of this).
        let connection = head.headers["connection"]
        let listed = connection.isEmpty ? [] : HopByHop.fieldNamesToRemove(connectionValues: connection)
        let dropped = peer.trusted ? Self.droppedFromTrusted : Self.droppedFromClients
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 6)
        if let upstreamHost { headers.add(name: "host", value: upstreamHost) }
        var host: String?
        for (name, value) in head.headers {
            if host == nil, name.utf8.count == 4, RequestTraits.isHost(name) {
                host = value
                continue
            }
            if dropped.contains(name) || (!listed.isEmpty && listed.contains(name.lowercased())) { continue }
            headers.add(name: name, value: value)
        }
        if peer.trusted {
            if let ip = peer.ip {
                let previous = headers[canonicalForm: "x-forwarded-for"].map(String.init)
                headers.replaceOrAdd(name: "x-forwarded-for", value: (previous + [ip]).joined(separator: ", "))
            }
            if !headers.contains(name: "x-forwarded-proto") { headers.add(name: "x-forwarded-proto", value: "http") }
            if let host, !headers.contains(name: "x-forwarded-host") { headers.add(name: "x-forwarded-host", value: host) }
        } else {
            if let ip = peer.ip { headers.add(name: "x-forwarded-for", value: ip) }
            headers.add(name: "x-forwarded-proto", value: "http")
            if let host { headers.add(name: "x-forwarded-host", value: host) }
        }
        if head.method == .OPTIONS || head.method == .TRACE, let remaining = MaxForwards.value(in: head.headers), remaining > 0 {
            headers.replaceOrAdd(name: "max-forwards", value: String(remaining - 1))
        }
        headers.add(name: "via", value: self.via(head.version))
        return headers
    }

    /// What never goes upstream from a trusted proxy: hop-by-hop fields, Reprise's own request controls
    /// (`ClientControls`), `Host` (the upstream's is set) and `Content-Length` (set from the body's framing).
    static let droppedFromTrusted = FieldNameSet(Self.neverForwarded)
    /// From any other client, the forwarding fields too.
    static let droppedFromClients = FieldNameSet(Self.neverForwarded + Self.clientControlledFields)
    private static let neverForwarded = Array(HopByHop.alwaysRemoved) + ClientControls.requestFields + ["host", "content-length"]

    /// The upstream's response headers minus hop-by-hop fields; `Content-Length` stays (same body).
    /// One pass over the fields, and none at all to copy when no field is hop-by-hop (the usual response): a
    /// removal per name, each a scan of every field, was 1.5% of a pass-through POST.
    static func response(_ upstream: HTTPHeaders) -> HTTPHeaders {
        guard upstream.contains(where: { Self.hopByHop.contains($0.name) }) else { return upstream }
        let connection = upstream["connection"]
        let listed = connection.isEmpty ? [] : HopByHop.fieldNamesToRemove(connectionValues: connection)
        var headers = HTTPHeaders()
        headers.reserveCapacity(upstream.count)
        for (name, value) in upstream {
            if Self.hopByHop.contains(name) || (!listed.isEmpty && listed.contains(name.lowercased())) { continue }
            headers.add(name: name, value: value)
        }
        return headers
    }

    /// The fields a proxy always removes (RFC 9110 §7.6.1); `Connection` is one, so a response that lists more
    /// names in it is found by this set too.
    private static let hopByHop = FieldNameSet(Array(HopByHop.alwaysRemoved))

    static func via(_ version: HTTPVersion) -> String {
        if version == .http1_1 { return Self.via11 }
        return "\(version.major).\(version.minor) \(self.viaToken)"
    }

    private static let via11 = "1.1 \(viaToken)"

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

/// `Max-Forwards` (RFC 9110 §7.6.2): `1*DIGIT`, read on OPTIONS and TRACE only.
enum MaxForwards {
    enum Reading: Equatable {
        case absent
        case value(Int)
        case invalid
    }

    static func read(_ headers: HTTPHeaders) -> Reading {
        let values = headers["max-forwards"]
        guard let first = values.first else { return .absent }
        // Repeated fields must agree; a value too long to matter is capped.
        guard values.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return .invalid }
        return .value(first.utf8.count > 9 ? Int.max : Int(first)!)
    }

    static func value(in headers: HTTPHeaders) -> Int? {
        if case .value(let value) = self.read(headers) { return value }
        return nil
    }
}
