import BodyKeying
import NIOHTTP1
import ProxyConfig

/// The parts of a cache key that come from the request's identity: the target without credential query
/// parameters, and the partition (an HMAC of every credential the route keys on, never the credential).
struct RequestKey {
    /// Client target with the route's `key_query_params` removed: what is stored, listed and purged.
    let target: String
    let partition: String
    /// The scheme and host the client named (`ClientPeer.authority`): part of the primary key (RFC 9111 §2).
    let authority: String
    /// At least one configured credential was present in the request.
    let hasCredential: Bool
    /// The route partitions on `Authorization` itself (a header or a JWT claim): every credential has its own
    /// entries, so RFC 9111 §3.5's concern (one user's authorized response served to another) cannot arise.
    let authorizationPartitioned: Bool

    init(route: Route, head: HTTPRequestHead, authority: String, hasher: CredentialHasher) {
        var memo = CredentialHasher.Memo()
        self.init(route: route, head: head, authority: authority, hasher: hasher, memo: &memo)
    }

    /// With the connection's memo of its last credentials (see `CredentialHasher.Memo`).
    init(route: Route, head: HTTPRequestHead, authority: String, hasher: CredentialHasher, memo: inout CredentialHasher.Memo) {
        let shape = route.credentialShape
        let (target, parts) = shape.parts(of: head)
        self.target = target
        self.authority = authority
        self.partition = hasher.partition(parts, memo: &memo)
        self.hasCredential = parts.contains { !$0.values.isEmpty }
        self.authorizationPartitioned = shape.headers.contains("authorization") || shape.jwt?.header == "authorization"
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

/// Which credentials a route keys on. Partitions are computed from it in one place, so that a write's
/// partition (writer-scoped purges) and a read's are the same for the same credential.
struct CredentialShape: Equatable, Sendable {
    var headers: [String]
    var queryParams: [String]
    var jwt: JWTClaimKey?

    /// The target without the credential query parameters (what is stored, purged and logged).
    func target(of uri: String) -> String {
        self.queryParams.isEmpty ? uri : QueryCredentials.split(target: uri, names: self.queryParams).target
    }

    /// The target without the credential query parameters, and the labelled credential values.
    func parts(of head: HTTPRequestHead) -> (target: String, parts: [(label: String, values: [String])]) {
        var parts: [(label: String, values: [String])] = self.headers.map { ("h:" + $0, head.headers[$0]) }
        var target = head.uri
        if !self.queryParams.isEmpty {
            let split = QueryCredentials.split(target: head.uri, names: self.queryParams)
            target = split.target
            for name in self.queryParams {
                parts.append(("q:" + name, split.credentials.filter { $0.name == name }.map(\.value)))
            }
        }
        if let jwt = self.jwt {
            let claim = head.headers.first(name: jwt.header).flatMap { JWTClaims.claim(jwt.claim, fromAuthorization: $0) }
            parts.append(("jwt:" + jwt.header + ":" + jwt.claim, claim.map { [$0] } ?? []))
        }
        return (target, parts)
    }

    func partition(of head: HTTPRequestHead, hasher: CredentialHasher) -> String {
        hasher.partition(self.parts(of: head).parts)
    }
}
