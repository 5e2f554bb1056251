import BodyKeying
import Testing

@testable import JWTVerification

/// An `Authorization` value and the `iss` claim read from it (nil: absent, not a string, or the token malformed).
struct ClaimCase: CustomTestStringConvertible, Sendable {
    var id: String
    var authorization: String
    var claim: String = "iss"
    var expected: String?
    var testDescription: String { self.id }
}

let jwtHeader = base64URL(#"{"alg":"HS256","typ":"JWT"}"#)
let jwtPayload = base64URL(#"{"iss":"AK123","exp":1800000000,"nbf":1700000000}"#)
let jwtSignature = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
let kling = "\(jwtHeader).\(jwtPayload).\(jwtSignature)"

let claimCases: [ClaimCase] = [
    .init(id: "bearer", authorization: "Bearer \(kling)", expected: "AK123"),
    .init(id: "bare-token", authorization: kling, expected: "AK123"),
    .init(id: "lowercase-scheme", authorization: "bearer \(kling)", expected: "AK123"),
    .init(id: "extra-spaces", authorization: "  Bearer   \(kling)  ", expected: "AK123"),
    .init(id: "number-claim-is-not-string", authorization: kling, claim: "exp", expected: nil),
    .init(id: "absent-claim", authorization: kling, claim: "sub", expected: nil),
    .init(
        id: "unicode-claim", authorization: "\(jwtHeader).\(base64URL(#"{"iss":"Ключ"}"#)).\(jwtSignature)",
        expected: "Ключ"),
    // The shape of an unsecured JWS (RFC 7519 §6): it parses; the verifier refuses its algorithm.
    .init(id: "empty-signature", authorization: "\(jwtHeader).\(jwtPayload).", expected: "AK123"),
    .init(id: "two-parts", authorization: "Bearer \(jwtHeader).\(jwtPayload)", expected: nil),
    .init(id: "four-parts", authorization: "\(kling).\(jwtSignature)", expected: nil),
    .init(id: "empty-header", authorization: ".\(jwtPayload).\(jwtSignature)", expected: nil),
    .init(id: "empty-payload", authorization: "\(jwtHeader)..\(jwtSignature)", expected: nil),
    .init(id: "padded-payload", authorization: "\(jwtHeader).\(jwtPayload)==.\(jwtSignature)", expected: nil),
    .init(id: "standard-base64-characters", authorization: "\(jwtHeader).\(jwtPayload).a+b/", expected: nil),
    .init(
        id: "payload-not-json", authorization: "\(jwtHeader).\(base64URL("iss=AK123")).\(jwtSignature)",
        expected: nil),
    .init(
        id: "payload-not-object", authorization: "\(jwtHeader).\(base64URL(#"["AK123"]"#)).\(jwtSignature)",
        expected: nil),
    .init(
        id: "header-not-json", authorization: "\(base64URL("HS256")).\(jwtPayload).\(jwtSignature)",
        expected: nil),
    // RFC 7515 §4: duplicate names are rejected, since another parser may read the other one.
    .init(
        id: "duplicate-claim",
        authorization: "\(jwtHeader).\(base64URL(#"{"iss":"AK-a","iss":"AK-b"}"#)).\(jwtSignature)",
        expected: nil),
    .init(
        id: "duplicate-header-parameter",
        authorization: "\(base64URL(#"{"alg":"HS256","alg":"none"}"#)).\(jwtPayload).\(jwtSignature)",
        expected: nil),
    .init(id: "other-scheme", authorization: "Basic \(kling)", expected: nil),
    .init(id: "bearer-only", authorization: "Bearer ", expected: nil),
    .init(id: "empty", authorization: "", expected: nil),
]

@Suite("Compact JWT parsing")
struct CompactJWTTests {
    @Test("claim from Authorization", arguments: claimCases)
    func claim(_ testCase: ClaimCase) {
        let value = CompactJWT(authorization: testCase.authorization)?.claim(testCase.claim)
        guard case .string(let found)? = value else {
            #expect(testCase.expected == nil, "got \(String(describing: value))")
            return
        }
        #expect(Array(found.utf8) == testCase.expected.map { Array($0.utf8) })
    }

    @Test("the signing input is the first two parts as sent")
    func signingInput() throws {
        let parsed = try #require(CompactJWT(authorization: "Bearer \(kling)  "))
        #expect(Array(parsed.signingInput) == bytes("\(jwtHeader).\(jwtPayload)"))
        #expect(parsed.signature.count == 32)
        #expect(parsed.headerParameter("alg") == .string("HS256"))
    }

    @Test("test token matches an independent encoder")
    func encoding() {
        #expect(jwtHeader == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9")
        #expect(jwtPayload == "eyJpc3MiOiJBSzEyMyIsImV4cCI6MTgwMDAwMDAwMCwibmJmIjoxNzAwMDAwMDAwfQ")
    }

    @Test(
        "base64url decoding",
        arguments: [
            ("", [UInt8]()), ("QQ", [0x41]), ("QUI", [0x41, 0x42]), ("QUJD", [0x41, 0x42, 0x43]),
            ("_-8", [0xFF, 0xEF]),
        ])
    func base64(_ text: String, _ expected: [UInt8]) {
        #expect(Base64URL.decode(bytes(text)) == expected)
    }

    @Test("base64url rejects", arguments: ["Q", "QR", "QQ==", "Q+", "QUJDR"])
    func base64Rejects(_ text: String) {
        #expect(Base64URL.decode(bytes(text)) == nil)
    }
}
