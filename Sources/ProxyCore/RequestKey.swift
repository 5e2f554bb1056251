import BodyKeying
import JWTVerification
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
    /// Set when the route keys on a JWT claim and the request's token failed verification (or the route has no
    /// key to verify with): the request names no partition, so it is never answered from the cache nor stored.
    let rejection: JWTRejection?

    /// A key from its parts, without credentials (tests of what is built from one).
    init(target: String, partition: String, authority: String) {
        self.target = target
        self.partition = partition
        self.authority = authority
        self.hasCredential = false
        self.authorizationPartitioned = false
        self.rejection = nil
    }

    init(route: Route, head: HTTPRequestHead, authority: String, hasher: CredentialHasher, now: Double) {
        var memo = CredentialHasher.Memo()
        self.init(route: route, head: head, authority: authority, hasher: hasher, now: now, memo: &memo)
    }

    /// With the connection's memo of its last credentials (see `CredentialHasher.Memo`). `now` is the request's
    /// time, for a JWT's `exp` and `nbf`.
    init(
        route: Route,
        head: HTTPRequestHead,
        authority: String,
        hasher: CredentialHasher,
        now: Double,
        memo: inout CredentialHasher.Memo
    ) {
        let shape = route.credentialShape
        let (target, parts, rejection) = shape.parts(of: head, now: now)
        self.target = target
        self.authority = authority
        self.partition = hasher.partition(parts, memo: &memo)
        self.hasCredential = parts.contains { !$0.values.isEmpty }
        self.rejection = rejection
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

    /// The target without the credential query parameters, the labelled credential values, and why the JWT (when
    /// the shape has one) names no partition. A rejected token contributes no value.
    func parts(
        of head: HTTPRequestHead,
        now: Double
    ) -> (target: String, parts: [(label: String, values: [String])], rejection: JWTRejection?) {
        var parts: [(label: String, values: [String])] = self.headers.map { ("h:" + $0, head.headers[$0]) }
        var target = head.uri
        if !self.queryParams.isEmpty {
            let split = QueryCredentials.split(target: head.uri, names: self.queryParams)
            target = split.target
            for name in self.queryParams {
                parts.append(("q:" + name, split.credentials.filter { $0.name == name }.map(\.value)))
            }
        }
        var rejection: JWTRejection?
        if let jwt = self.jwt {
            var account: [String] = []
            switch jwt.verdict(head.headers, now: now) {
            case .verified(let claim)?: account = [claim]
            case .rejected(let reason)?: rejection = reason
            case nil: break
            }
            parts.append(("jwt:" + jwt.header + ":" + jwt.claim, account))
        }
        return (target, parts, rejection)
    }

    func partition(of head: HTTPRequestHead, hasher: CredentialHasher, now: Double) -> String {
        hasher.partition(self.parts(of: head, now: now).parts)
    }
}

extension JWTClaimKey {
    /// The verdict on the request's token; nil when the request carries none (it shares the anonymous partition,
    /// as a request without any credential does). Without a key every request is rejected: the route caches
    /// nothing. A header sent twice is malformed: the upstream might read the other copy.
    func verdict(_ headers: HTTPHeaders, now: Double) -> JWTVerdict? {
        if case .none = self.verifier.keys { return .rejected(.noSecret) }
        let tokens = headers[self.header]
        guard let token = tokens.first else { return nil }
        guard tokens.count == 1 else { return .rejected(.malformed) }
        return self.verifier.verify(token, now: now)
    }
}
