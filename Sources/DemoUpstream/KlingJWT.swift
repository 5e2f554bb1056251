import Foundation

/// Checks the `Authorization: Bearer <JWT>` that Kling clients make per request: HS256 over the SecretKey, payload
/// `{iss: AccessKey, exp, nbf}`. The signature is checked only when a secret is configured.
enum KlingJWT {
    // MARK: Types

    struct Claims {
        var issuer: String
        var expires: Int64?
        var notBefore: Int64?
    }

    /// Each failure maps to Kling's 401 codes.
    enum Failure: Error {
        case missing  // 1001
        case invalid  // 1002
        case badSignature  // 1000
        case notYetValid  // 1003
        case expired  // 1004

        var code: Int {
            switch self {
            case .badSignature: return 1000
            case .missing: return 1001
            case .invalid: return 1002
            case .notYetValid: return 1003
            case .expired: return 1004
            }
        }

        var message: String {
            switch self {
            case .badSignature: return "Authentication failed: signature verification failed"
            case .missing: return "Authorization is empty"
            case .invalid: return "Authorization is invalid"
            case .notYetValid: return "Authorization is not yet valid"
            case .expired: return "Authorization has expired"
            }
        }
    }

    // MARK: Verification

    static func verify(authorization: String?, secret: String?, now: Int64) -> Result<Claims, Failure> {
        guard let authorization, !authorization.trimmingSpaces().isEmpty else { return .failure(.missing) }
        let pieces = authorization.split(separator: " ", maxSplits: 1)
        guard pieces.count == 2, pieces[0].lowercased() == "bearer" else { return .failure(.invalid) }
        let parts = pieces[1].trimmingSpaces().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerBytes = self.base64URLDecode(parts[0]),
            let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any],
            let payloadBytes = self.base64URLDecode(parts[1]),
            let payload = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any],
            let issuer = payload["iss"] as? String, !issuer.isEmpty
        else { return .failure(.invalid) }

        if let secret {
            guard header["alg"] as? String == "HS256", let signature = self.base64URLDecode(parts[2]) else {
                return .failure(.badSignature)
            }
            let signed = Array("\(parts[0]).\(parts[1])".utf8)
            guard SHA256.hmac(key: Array(secret.utf8), message: signed) == signature else {
                return .failure(.badSignature)
            }
        }
        let claims = Claims(
            issuer: issuer,
            expires: (payload["exp"] as? NSNumber)?.int64Value,
            notBefore: (payload["nbf"] as? NSNumber)?.int64Value
        )
        if let expires = claims.expires, expires <= now { return .failure(.expired) }
        if let notBefore = claims.notBefore, notBefore > now { return .failure(.notYetValid) }
        return .success(claims)
    }

    // MARK: Encoding (for tests and the demo client)

    /// Makes an HS256 token, as PyJWT would.
    static func make(issuer: String, secret: String, expires: Int64, notBefore: Int64) -> String {
        let header = self.base64URLEncode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = self.base64URLEncode(Array(#"{"iss":"\#(issuer)","exp":\#(expires),"nbf":\#(notBefore)}"#.utf8))
        let signature = SHA256.hmac(key: Array(secret.utf8), message: Array("\(header).\(payload)".utf8))
        return "\(header).\(payload).\(self.base64URLEncode(signature))"
    }

    // MARK: base64url

    static func base64URLDecode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { Array($0) }
    }

    static func base64URLEncode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
