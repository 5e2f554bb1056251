import BodyKeying
import NIOHTTP1
import ProxyConfig

/// The parts of a cache key that come from the request's identity: the target without credential query
/// parameters, and the partition (an HMAC of every credential the route keys on, never the credential).
struct RequestKey {
    /// Client target with the route's `key_query_params` removed: what is stored, listed and purged.
    let target: String
    let partition: String
    /// At least one configured credential was present in the request.
    let hasCredential: Bool
    /// The route partitions on `Authorization` itself (a header or a JWT claim): every credential has its own
    /// entries, so RFC 9111 §3.5's concern (one user's authorized response served to another) cannot arise.
    let authorizationPartitioned: Bool

    init(route: Route, head: HTTPRequestHead, hasher: CredentialHasher) {
        var parts: [(label: String, values: [String])] = route.keyHeaders.map { ("h:" + $0, head.headers[$0]) }
        var target = head.uri
        if !route.keyQueryParams.isEmpty {
            let split = QueryCredentials.split(target: head.uri, names: route.keyQueryParams)
            target = split.target
            for name in route.keyQueryParams {
                parts.append(("q:" + name, split.credentials.filter { $0.name == name }.map(\.value)))
            }
        }
        var authorizationPartitioned = route.keyHeaders.contains("authorization")
        if let jwt = route.keyJWTClaim {
            let claim = head.headers.first(name: jwt.header).flatMap { JWTClaims.claim(jwt.claim, fromAuthorization: $0) }
            parts.append(("jwt:" + jwt.header + ":" + jwt.claim, claim.map { [$0] } ?? []))
            authorizationPartitioned = authorizationPartitioned || jwt.header == "authorization"
        }
        self.target = target
        self.partition = hasher.partition(parts)
        self.hasCredential = parts.contains { !$0.values.isEmpty }
        self.authorizationPartitioned = authorizationPartitioned
    }

    /// The request headers the RFC 9111 §3 storability check sees: `Authorization` is left out when it only
    /// names the partition the response is stored in.
    func headersForStorability(_ headers: HTTPHeaders) -> HTTPHeaders {
        guard self.authorizationPartitioned, headers.contains(name: "authorization") else { return headers }
        var filtered = headers
        filtered.remove(name: "authorization")
        return filtered
    }
}
