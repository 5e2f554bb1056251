import Crypto
import Foundation
import _CryptoExtras

/// A key that verifies JWT signatures, and the one algorithm it verifies (RFC 7518 §3.1): HS256 for a shared
/// secret, RS256 for an RSA public key, ES256 for a P-256 public key. The token never chooses: a token whose
/// `alg` is not this key's algorithm is refused before any signature is checked, so an HS256 token "signed"
/// with a public key's bytes, or an unsigned `none` token, never passes.
///
/// Its descriptions name the algorithm only, never the key's bytes.
public struct JWTKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `@unchecked Sendable`: each key is an immutable value that is only read after `init` (as
    /// `CredentialHasher`'s HMAC template is); swift-crypto 3 marks `_RSA` keys `Sendable` but not `SymmetricKey`
    /// or the P-256 keys.
    enum Material: @unchecked Sendable {
        case hmacSHA256(SymmetricKey)
        case rsaSHA256(_RSA.Signing.PublicKey)
        case ecdsaP256SHA256(P256.Signing.PublicKey)
    }

    let material: Material

    /// HS256 with a shared secret: its UTF-8 bytes as the upstream issued it, of any length (RFC 7518 §3.2 asks
    /// for at least 256 bits, but the verifier must take the secret the signer uses).
    public static func secret(_ secret: String) -> JWTKey {
        JWTKey(material: .hmacSHA256(SymmetricKey(data: Array(secret.utf8))))
    }

    /// RS256 or ES256, from the PEM text of an RSA (2048 bits or more) or P-256 public key
    /// (`-----BEGIN PUBLIC KEY-----`, or `-----BEGIN RSA PUBLIC KEY-----` for PKCS #1).
    /// Text around the first PEM block (a comment line, say) is ignored.
    public init(publicKeyPEM text: String) throws(JWTKeyError) {
        guard let (label, pem) = Self.pemBlock(text) else { throw .notPEM }
        if label.contains("PRIVATE KEY") { throw .privateKey }
        if label.contains("CERTIFICATE") { throw .certificate }
        guard label == "PUBLIC KEY" || label == "RSA PUBLIC KEY" else { throw .unsupportedKey }
        if let key = try? P256.Signing.PublicKey(pemRepresentation: pem) {
            self.material = .ecdsaP256SHA256(key)
        } else if let key = try? _RSA.Signing.PublicKey(pemRepresentation: pem) {
            self.material = .rsaSHA256(key)
        } else if (try? _RSA.Signing.PublicKey(unsafePEMRepresentation: pem)) != nil {
            throw .rsaKeyTooSmall
        } else {
            throw .unsupportedKey
        }
    }

    init(material: Material) {
        self.material = material
    }

    /// The JWS `alg` value this key verifies (RFC 7518 §3.1).
    public var algorithm: String {
        switch self.material {
        case .hmacSHA256: return "HS256"
        case .rsaSHA256: return "RS256"
        case .ecdsaP256SHA256: return "ES256"
        }
    }

    /// Whether `signature` is this key's signature of `signingInput` under `algorithm`. HMAC tags are compared in
    /// constant time; an ES256 signature is the 64-byte R || S of RFC 7518 §3.4, not DER.
    func isValidSignature(_ signature: [UInt8], for signingInput: ArraySlice<UInt8>) -> Bool {
        switch self.material {
        case .hmacSHA256(let key):
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key)
        case .rsaSHA256(let key):
            // RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256.
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(rsaSignature, for: signingInput, padding: .insecurePKCS1v1_5)
        case .ecdsaP256SHA256(let key):
            guard signature.count == 64, let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(ecdsa, for: signingInput)
        }
    }

    // MARK: - Equatable, descriptions

    public static func == (lhs: JWTKey, rhs: JWTKey) -> Bool {
        switch (lhs.material, rhs.material) {
        case (.hmacSHA256(let a), .hmacSHA256(let b)): return a == b
        case (.rsaSHA256(let a), .rsaSHA256(let b)): return a.derRepresentation == b.derRepresentation
        case (.ecdsaP256SHA256(let a), .ecdsaP256SHA256(let b)): return a.rawRepresentation == b.rawRepresentation
        default: return false
        }
    }

    public var description: String { "JWTKey(\(self.algorithm))" }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror { Mirror(self, children: ["algorithm": self.algorithm]) }

    /// The label of the first `-----BEGIN <label>-----` line, and the block from there to its `-----END` line.
    private static func pemBlock(_ text: String) -> (label: String, block: String)? {
        guard let begin = text.range(of: "-----BEGIN ") else { return nil }
        let rest = text[begin.upperBound...]
        guard let close = rest.range(of: "-----") else { return nil }
        let label = String(rest[..<close.lowerBound])
        let endLine = "-----END \(label)-----"
        guard let end = rest.range(of: endLine) else { return (label, String(text[begin.lowerBound...])) }
        return (label, String(text[begin.lowerBound..<end.upperBound]))
    }
}

/// Why a file's text is not a public key `JWTKey` can use.
public enum JWTKeyError: Error, Sendable, Equatable {
    /// No `-----BEGIN ...-----` line.
    case notPEM
    /// A private key: Reprise only verifies, and must never hold the signer's key.
    case privateKey
    /// A certificate rather than the key it certifies.
    case certificate
    /// An RSA key under 2048 bits.
    case rsaKeyTooSmall
    /// Another kind of key (P-384, Ed25519, DSA, ...) or an unreadable one.
    case unsupportedKey
}
