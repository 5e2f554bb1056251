/// Reads claims from a JWT without verifying it, so that a proxy can key Kling requests on the AccessKey (`iss`)
/// instead of on a token that changes with every call.
///
/// The signature is not checked: anyone can write a token with any `iss`. Keying on it partitions the cache per
/// account for honest clients; it is not authentication.
public enum JWTClaims {
    /// The string value of `claim` in the payload of `Bearer <header>.<payload>.<signature>` or of a bare JWT.
    ///
    /// The scheme `Bearer` is matched case-insensitively (RFC 7235 §2.1) and surrounding spaces are ignored. The
    /// token must be three non-empty base64url parts without padding (RFC 7515 §7.1) whose header and payload
    /// decode to JSON objects. nil when the claim is absent or not a string (e.g. `exp`), or the value is malformed.
    /// With duplicate claim names the last one counts.
    public static func claim(_ claim: String, fromAuthorization value: String) -> String? {
        var token = Substring(value).drop { $0 == " " || $0 == "\t" }
        if token.utf8.count > 7, token.prefix(7).lowercased() == "bearer " {
            token = token.dropFirst(7).drop { $0 == " " || $0 == "\t" }
        }
        while let last = token.last, last == " " || last == "\t" { token = token.dropLast() }

        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }),
            let header = Base64URL.decode(parts[0]), case .object = JSONParser.parse(header),
            Base64URL.decode(parts[2]) != nil,
            let payload = Base64URL.decode(parts[1]), let claims = JSONParser.parse(payload),
            case .object = claims,
            case .string(let found) = claims.value(at: [claim])
        else { return nil }
        return found
    }
}
