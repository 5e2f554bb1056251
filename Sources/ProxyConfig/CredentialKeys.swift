import JWTVerification

/// `key_jwt_claim = { header = "Authorization", claim = "iss", secret = "${KLING_SECRET_KEY}" }`: partition
/// the cache by one claim of a JWT sent in `header`, for APIs whose clients sign a new token per call (Kling), so
/// the token itself cannot key anything. The token is verified first (`JWTVerifier`): a claim is only as good as
/// the signature over it. Like `key_headers`, the claim's value is hashed, never stored.
public struct JWTClaimKey: Sendable, Equatable {
    /// Lower-cased request header carrying the token, bare or as "Bearer <token>".
    public var header: String
    /// The claim, the keys that verify it and the leeway on `exp` and `nbf`.
    public var verifier: JWTVerifier

    /// Name of a claim of the token's payload, e.g. "iss" (Kling's access key).
    public var claim: String { self.verifier.claim }

    /// `leeway` when the file sets none.
    public static let defaultLeeway: Duration = .seconds(30)

    /// With `keys` `.none` (no secret), the route forwards every request uncached.
    public init(header: String, claim: String, keys: JWTKeys = .none, leeway: Duration = Self.defaultLeeway) {
        self.header = header
        let (seconds, attoseconds) = leeway.components
        self.verifier = JWTVerifier(claim: claim, keys: keys, leeway: Double(seconds) + Double(attoseconds) / 1e18)
    }
}
