import Crypto
import Testing
import _CryptoExtras

@testable import JWTVerification

/// A PEM text and what `JWTKey(publicKeyPEM:)` makes of it: the algorithm, or the error.
struct PEMCase: CustomTestStringConvertible, Sendable {
    var id: String
    var pem: String
    var expected: Result<String, JWTKeyError>
    var testDescription: String { self.id }
}

let pemCases: [PEMCase] = [
    .init(id: "rsa-2048-public", pem: TestKeys.rsaPublicPEM, expected: .success("RS256")),
    .init(id: "p256-public", pem: TestKeys.p256PublicPEM, expected: .success("ES256")),
    .init(
        id: "p256-public-with-text-around", pem: "# Kling signing key\n" + TestKeys.p256PublicPEM + "\n",
        expected: .success("ES256")),
    .init(id: "rsa-private", pem: TestKeys.rsa.pemRepresentation, expected: .failure(.privateKey)),
    .init(id: "p256-private", pem: TestKeys.p256.pemRepresentation, expected: .failure(.privateKey)),
    .init(
        id: "rsa-1024-public",
        pem: try! _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).publicKey.pemRepresentation,
        expected: .failure(.rsaKeyTooSmall)),
    .init(
        id: "p384-public", pem: P384.Signing.PrivateKey().publicKey.pemRepresentation,
        expected: .failure(.unsupportedKey)),
    .init(
        id: "certificate", pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        expected: .failure(.certificate)),
    .init(
        id: "public-key-label-garbage-body", pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        expected: .failure(.unsupportedKey)),
    .init(id: "not-pem", pem: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA user@host", expected: .failure(.notPEM)),
    .init(id: "empty", pem: "", expected: .failure(.notPEM)),
]

@Suite("JWT keys")
struct JWTKeyTests {
    @Test("public key PEM files", arguments: pemCases)
    func publicKeyPEM(_ testCase: PEMCase) {
        let result: Result<String, JWTKeyError>
        do {
            result = .success(try JWTKey(publicKeyPEM: testCase.pem).algorithm)
        } catch {
            result = .failure(error)
        }
        #expect(result == testCase.expected)
    }

    @Test func aSecretIsHS256AndNeverDescribed() {
        let key = JWTKey.secret("kling-sk-0123456789")
        #expect(key.algorithm == "HS256")
        let texts = [
            String(describing: key), String(reflecting: key), "\(JWTKeys.shared(key))",
            "\(JWTKeys.secrets(["a": "kling-sk-0123456789"]))",
        ]
        for text in texts {
            #expect(!text.contains("kling-sk"), "\(text)")
        }
        var dumped = ""
        dump(JWTKeys.shared(key), to: &dumped)
        #expect(!dumped.contains("kling-sk"))
    }

    @Test func keysCompareByTheirMaterial() throws {
        #expect(JWTKey.secret("a") == JWTKey.secret("a"))
        #expect(JWTKey.secret("a") != JWTKey.secret("b"))
        #expect(try JWTKey(publicKeyPEM: TestKeys.rsaPublicPEM) == JWTKey(publicKeyPEM: TestKeys.rsaPublicPEM))
        #expect(try JWTKey(publicKeyPEM: TestKeys.rsaPublicPEM) != JWTKey(publicKeyPEM: TestKeys.p256PublicPEM))
    }
}
