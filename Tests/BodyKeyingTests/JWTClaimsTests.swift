import Testing

@testable import BodyKeying

/// An `Authorization` value and the `iss` claim read from it (nil: absent or malformed).
struct JWTCase: CustomTestStringConvertible, Sendable {
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

let jwtCases: [JWTCase] = [
    .init(id: "bearer", authorization: "Bearer \(kling)", expected: "AK123"),
    .init(id: "bare-token", authorization: kling, expected: "AK123"),
    .init(id: "lowercase-scheme", authorization: "bearer \(kling)", expected: "AK123"),
    .init(id: "extra-spaces", authorization: "  Bearer   \(kling)  ", expected: "AK123"),
    .init(id: "number-claim-is-not-string", authorization: kling, claim: "exp", expected: nil),
    .init(id: "absent-claim", authorization: kling, claim: "sub", expected: nil),
    .init(
        id: "unicode-claim", authorization: "\(jwtHeader).\(base64URL(#"{"iss":"Ключ"}"#)).\(jwtSignature)",
        expected: "Ключ"),
    .init(id: "two-parts", authorization: "Bearer \(jwtHeader).\(jwtPayload)", expected: nil),
    .init(id: "four-parts", authorization: "\(kling).\(jwtSignature)", expected: nil),
    .init(id: "empty-signature", authorization: "\(jwtHeader).\(jwtPayload).", expected: nil),
    .init(id: "padded-payload", authorization: "\(jwtHeader).\(jwtPayload)==.\(jwtSignature)", expected: nil),
    .init(
        id: "standard-base64-characters", authorization: "\(jwtHeader).\(jwtPayload).a+b/", expected: nil),
    .init(
        id: "payload-not-json", authorization: "\(jwtHeader).\(base64URL("iss=AK123")).\(jwtSignature)",
        expected: nil),
    .init(
        id: "payload-not-object", authorization: "\(jwtHeader).\(base64URL(#"["AK123"]"#)).\(jwtSignature)",
        expected: nil),
    .init(
        id: "header-not-json", authorization: "\(base64URL("HS256")).\(jwtPayload).\(jwtSignature)",
        expected: nil),
    .init(id: "other-scheme", authorization: "Basic \(kling)", expected: nil),
    .init(id: "bearer-only", authorization: "Bearer ", expected: nil),
    .init(id: "empty", authorization: "", expected: nil),
]

@Suite("JWT claims")
struct JWTClaimsTests {
    @Test("claim from Authorization", arguments: jwtCases)
    func claim(_ testCase: JWTCase) {
        #expect(JWTClaims.claim(testCase.claim, fromAuthorization: testCase.authorization) == testCase.expected)
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
