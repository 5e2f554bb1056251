import Crypto
import _CryptoExtras

@testable import JWTVerification

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// base64url without padding (RFC 4648 §5), for building test JWTs.
func base64URL(_ text: String) -> String {
    base64URL(bytes(text))
}

func base64URL(_ input: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    var out: [UInt8] = []
    var index = 0
    while index < input.count {
        let chunk = input[index..<min(index + 3, input.count)]
        var group: UInt32 = 0
        for (offset, byte) in chunk.enumerated() {
            group |= UInt32(byte) << UInt32(16 - 8 * offset)
        }
        for sextet in 0..<(chunk.count + 1) {
            out.append(alphabet[Int((group >> UInt32(18 - 6 * sextet)) & 0x3F)])
        }
        index += 3
    }
    return String(decoding: out, as: UTF8.self)
}

/// How a test token is signed.
enum Signer {
    /// HS256 (or whatever the header says) with this secret's bytes.
    case hmac(String)
    case rsa(_RSA.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)
    /// An ES256 signature in DER, not the raw R || S that JWS requires.
    case p256DER(P256.Signing.PrivateKey)
    /// These bytes, base64url-encoded, as the signature part.
    case raw([UInt8])
}

/// `<header>.<payload>.<signature>` for JSON texts `header` and `payload`.
func token(_ header: String, _ payload: String, _ signer: Signer) -> String {
    let input = base64URL(header) + "." + base64URL(payload)
    let signature: [UInt8]
    switch signer {
    case .hmac(let secret):
        signature = Array(HMAC<SHA256>.authenticationCode(for: bytes(input), using: SymmetricKey(data: bytes(secret))))
    case .rsa(let key):
        signature = Array(try! key.signature(for: bytes(input), padding: .insecurePKCS1v1_5).rawRepresentation)
    case .p256(let key):
        signature = Array(try! key.signature(for: bytes(input)).rawRepresentation)
    case .p256DER(let key):
        signature = Array(try! key.signature(for: bytes(input)).derRepresentation)
    case .raw(let raw):
        signature = raw
    }
    return input + "." + base64URL(signature)
}

/// The HS256 tag of `header` and `payload` under `secret`.
func hmacTag(_ header: String, _ payload: String, _ secret: String) -> [UInt8] {
    let input = base64URL(header) + "." + base64URL(payload)
    return Array(HMAC<SHA256>.authenticationCode(for: bytes(input), using: SymmetricKey(data: bytes(secret))))
}

/// Keys made once per test process (an RSA key takes a moment).
enum TestKeys {
    static let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let otherRSA = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    // Immutable once made; swift-crypto 3 does not mark P-256 keys Sendable.
    nonisolated(unsafe) static let p256 = P256.Signing.PrivateKey()
    nonisolated(unsafe) static let otherP256 = P256.Signing.PrivateKey()
    static var rsaPublicPEM: String { Self.rsa.publicKey.pemRepresentation }
    static var p256PublicPEM: String { Self.p256.publicKey.pemRepresentation }
}
