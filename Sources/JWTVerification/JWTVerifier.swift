import BodyKeying

/// The keys a route verifies its tokens with.
public enum JWTKeys: Sendable, Equatable {
    /// No key is configured (or the secret is empty): no token is verified, nothing is cached.
    case none
    /// One key for every account (`secret`, `public_key_file`).
    case shared(JWTKey)
    /// One key per value of the claim (`secrets`), keyed by the value's UTF-8 bytes, so that two spellings Swift
    /// deems equal (`"é"`, `"e\u{301}"`) never share a key. nil: the account's secret is empty.
    case perAccount([[UInt8]: JWTKey?])

    /// `secrets` as written: claim value to secret; an empty secret leaves the account without a key.
    public static func secrets(_ secrets: [String: String]) -> JWTKeys {
        var keys: [[UInt8]: JWTKey?] = [:]
        for (account, secret) in secrets {
            keys[Array(account.utf8)] = secret.isEmpty ? JWTKey?.none : JWTKey.secret(secret)
        }
        return .perAccount(keys)
    }
}

/// What a request's token says about its partition.
public enum JWTVerdict: Sendable, Equatable {
    /// Signature, algorithm and times check out; the claim's value names the account.
    case verified(account: String)
    case rejected(JWTRejection)
}

/// Verifies the JWT a client sends before its claim may name a cache partition: the algorithm against the
/// configured key's, the signature, then `exp` and `nbf` against `now` with a leeway. Pure: the time is a
/// parameter, nothing is logged, and a rejection is a reason, never the token.
public struct JWTVerifier: Sendable, Equatable {
    /// The claim whose string value names the account, e.g. "iss" (Kling's access key).
    public var claim: String
    public var keys: JWTKeys
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    public var leeway: Double

    public init(claim: String, keys: JWTKeys, leeway: Double) {
        self.claim = claim
        self.keys = keys
        self.leeway = leeway
    }

    /// The verdict on the token in `authorization` (`Bearer <jwt>` or a bare token) at `now` (Unix seconds).
    ///
    /// Checks run in this order, so that nothing about a token's times is said before its signature is known to
    /// be good: keys configured, shape, claim, the account's key, `alg`, signature, `exp`, `nbf`.
    public func verify(_ authorization: some StringProtocol, now: Double) -> JWTVerdict {
        if case .none = self.keys { return .rejected(.noSecret) }
        guard let token = CompactJWT(authorization: authorization),
            case .string(let algorithm) = token.headerParameter("alg"),
            token.headerParameter("crit") == nil,
            case .string(let account) = token.claim(self.claim)
        else { return .rejected(.malformed) }

        let key: JWTKey
        switch self.keys {
        case .none:
            return .rejected(.noSecret)
        case .shared(let shared):
            key = shared
        case .perAccount(let accounts):
            switch accounts[Array(account.utf8)] {
            case nil: return .rejected(.unknownAccount)
            case .some(nil): return .rejected(.noSecret)
            case .some(.some(let found)): key = found
            }
        }
        // RFC 8725 §3.1: the algorithm is the key's, whatever the token says.
        guard algorithm == key.algorithm else { return .rejected(.algorithm) }
        guard key.isValidSignature(token.signature, for: token.signingInput) else { return .rejected(.signature) }

        guard let expires = Self.numericDate(token.claim("exp")),
            let notBefore = Self.numericDate(token.claim("nbf"))
        else { return .rejected(.malformed) }
        // RFC 7519 §4.1.4: the current time MUST be before exp.
        if let expires, now >= expires + self.leeway { return .rejected(.expired) }
        // RFC 7519 §4.1.5: the current time MUST be at or after nbf.
        if let notBefore, now < notBefore - self.leeway { return .rejected(.notYetValid) }
        return .verified(account: account)
    }

    /// An optional NumericDate (RFC 7519 §2): `.some(nil)` when the claim is absent, nil when it is present but
    /// not a finite number.
    private static func numericDate(_ value: JSONValue?) -> Double?? {
        guard let value else { return .some(nil) }
        guard case .number(let text) = value, let seconds = Double(text), seconds.isFinite else { return nil }
        return .some(seconds)
    }
}
