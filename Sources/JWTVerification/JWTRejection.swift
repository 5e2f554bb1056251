/// Why a JWT does not name a cache partition. Each raw value is a `Cache-Status` `detail` token, an access-log
/// field and a metric label; the set is fixed, so labels stay bounded.
public enum JWTRejection: String, Sendable, CaseIterable {
    /// The route has no key to verify with: no `secret`, `secrets` or `public_key_file`, an empty secret, or, in
    /// `secrets`, an account whose secret is empty.
    case noSecret = "jwt-no-secret"
    /// Not a compact JWS with JSON-object header and payload; no string `alg`; a `crit` header (no extension is
    /// understood, RFC 7515 §4.1.11); the claim absent or not a string; `exp` or `nbf` not a number; the header
    /// sent more than once.
    case malformed = "jwt-malformed"
    /// `secrets` has no entry for the claim's value.
    case unknownAccount = "jwt-unknown-account"
    /// The token's `alg` is not the configured key's algorithm (`none`, HS256 against a public key, ...).
    case algorithm = "jwt-alg"
    /// The signature does not verify under the account's key.
    case signature = "jwt-signature"
    /// `exp` is past, by more than the leeway (RFC 7519 §4.1.4).
    case expired = "jwt-expired"
    /// `nbf` is ahead, by more than the leeway (RFC 7519 §4.1.5).
    case notYetValid = "jwt-not-yet-valid"
}
