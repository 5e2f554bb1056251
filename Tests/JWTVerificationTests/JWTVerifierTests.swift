import Crypto
import Testing
import _CryptoExtras

@testable import JWTVerification

/// The instant every case is judged at, and the default leeway.
let now: Double = 1_700_000_000
let leeway: Double = 30

let hs256 = #"{"alg":"HS256","typ":"JWT"}"#
let secretA = "kling-secret-key-of-account-a-32"
let secretB = "kling-secret-key-of-account-b-32"

/// A Kling-shaped payload: iss, exp, nbf (seconds relative to `now`).
func claims(iss: String = "AK-a", exp: Double? = 1800, nbf: Double? = -5) -> String {
    var members = [#""iss":"\#(iss)""#]
    if let exp { members.append(#""exp":\#(Int64(now + exp))"#) }
    if let nbf { members.append(#""nbf":\#(Int64(now + nbf))"#) }
    return "{" + members.joined(separator: ",") + "}"
}

/// One token judged under some keys; `expected` is the verdict.
struct VerifyCase: CustomTestStringConvertible, Sendable {
    var id: String
    var keys: JWTKeys
    var authorization: String
    var expected: JWTVerdict
    var testDescription: String { self.id }

    init(_ id: String, _ keys: JWTKeys, _ authorization: String, _ expected: JWTVerdict) {
        self.id = id
        self.keys = keys
        self.authorization = authorization
        self.expected = expected
    }
}

let sharedA = JWTKeys.shared(.secret(secretA))
let accounts = JWTKeys.secrets(["AK-a": secretA, "AK-b": secretB, "AK-empty": ""])
let ok = JWTVerdict.verified(account: "AK-a")

/// HS256 with a shared secret: shape, algorithm, signature and times.
let hmacCases: [VerifyCase] = [
    .init("valid", sharedA, "Bearer " + token(hs256, claims(), .hmac(secretA)), ok),
    .init("valid-bare-token", sharedA, token(hs256, claims(), .hmac(secretA)), ok),
    .init("valid-without-exp-or-nbf", sharedA, token(hs256, claims(exp: nil, nbf: nil), .hmac(secretA)), ok),
    .init(
        "valid-fractional-times", sharedA,
        token(hs256, #"{"iss":"AK-a","exp":\#(now + 0.5),"nbf":\#(now - 0.5)}"#, .hmac(secretA)), ok),
    .init(
        "short-secret", .shared(.secret("sk")), token(hs256, claims(), .hmac("sk")), ok),
    .init(
        "secret-longer-than-a-block", .shared(.secret(String(repeating: "k", count: 100))),
        token(hs256, claims(), .hmac(String(repeating: "k", count: 100))), ok),
    .init(
        "forged-signature", sharedA, token(hs256, claims(), .hmac("attacker-guess")), .rejected(.signature)),
    .init(
        "payload-swapped-after-signing", sharedA,
        {
            let good = token(hs256, claims(iss: "AK-attacker"), .hmac(secretA)).split(separator: ".")
            return "\(good[0]).\(base64URL(claims())).\(good[2])"
        }(),
        .rejected(.signature)),
    .init(
        "truncated-signature", sharedA,
        token(hs256, claims(), .raw(Array(hmacTag(hs256, claims(), secretA).prefix(16)))),
        .rejected(.signature)),
    .init(
        "alg-none-unsigned", sharedA, token(#"{"alg":"none","typ":"JWT"}"#, claims(), .raw([])),
        .rejected(.algorithm)),
    .init(
        "alg-none-with-a-valid-hmac", sharedA, token(#"{"alg":"none"}"#, claims(), .hmac(secretA)),
        .rejected(.algorithm)),
    .init(
        "alg-lowercase", sharedA, token(#"{"alg":"hs256"}"#, claims(), .hmac(secretA)), .rejected(.algorithm)),
    .init("alg-HS512", sharedA, token(#"{"alg":"HS512"}"#, claims(), .hmac(secretA)), .rejected(.algorithm)),
    .init(
        "alg-RS256-with-a-secret", sharedA, token(#"{"alg":"RS256"}"#, claims(), .raw([1, 2, 3])),
        .rejected(.algorithm)),
    .init("alg-missing", sharedA, token(#"{"typ":"JWT"}"#, claims(), .hmac(secretA)), .rejected(.malformed)),
    .init("alg-not-a-string", sharedA, token(#"{"alg":256}"#, claims(), .hmac(secretA)), .rejected(.malformed)),
    .init(
        "crit-header", sharedA, token(#"{"alg":"HS256","crit":["exp"]}"#, claims(), .hmac(secretA)),
        .rejected(.malformed)),
    .init(
        "claim-missing", sharedA, token(hs256, #"{"sub":"AK-a","exp":\#(Int64(now + 60))}"#, .hmac(secretA)),
        .rejected(.malformed)),
    .init("claim-not-a-string", sharedA, token(hs256, #"{"iss":42}"#, .hmac(secretA)), .rejected(.malformed)),
    .init(
        "exp-a-string", sharedA, token(hs256, #"{"iss":"AK-a","exp":"\#(Int64(now + 60))"}"#, .hmac(secretA)),
        .rejected(.malformed)),
    .init("nbf-null", sharedA, token(hs256, #"{"iss":"AK-a","nbf":null}"#, .hmac(secretA)), .rejected(.malformed)),
    .init("not-a-jwt", sharedA, "Bearer abc", .rejected(.malformed)),
    .init("basic-scheme", sharedA, "Basic " + token(hs256, claims(), .hmac(secretA)), .rejected(.malformed)),
    .init("expired-beyond-leeway", sharedA, token(hs256, claims(exp: -31), .hmac(secretA)), .rejected(.expired)),
    .init("expired-at-the-leeway", sharedA, token(hs256, claims(exp: -30), .hmac(secretA)), .rejected(.expired)),
    .init("expired-within-leeway", sharedA, token(hs256, claims(exp: -29), .hmac(secretA)), ok),
    .init(
        "not-yet-valid-beyond-leeway", sharedA, token(hs256, claims(nbf: 31), .hmac(secretA)),
        .rejected(.notYetValid)),
    .init("not-yet-valid-at-the-leeway", sharedA, token(hs256, claims(nbf: 30), .hmac(secretA)), ok),
    // A bad signature is reported before anything about the token's times.
    .init(
        "forged-and-expired", sharedA, token(hs256, claims(exp: -3600), .hmac("guess")), .rejected(.signature)),
]

/// `secrets`: one secret per account, chosen by the (signed) claim.
let accountCases: [VerifyCase] = [
    .init("account-a", accounts, token(hs256, claims(iss: "AK-a"), .hmac(secretA)), ok),
    .init(
        "account-b", accounts, token(hs256, claims(iss: "AK-b"), .hmac(secretB)),
        .verified(account: "AK-b")),
    .init(
        "account-b-signed-with-a-secret", accounts, token(hs256, claims(iss: "AK-b"), .hmac(secretA)),
        .rejected(.signature)),
    .init(
        "unknown-account", accounts, token(hs256, claims(iss: "AK-c"), .hmac(secretA)),
        .rejected(.unknownAccount)),
    .init(
        "account-differs-only-in-unicode-normalisation", .secrets(["é": secretA]),
        token(hs256, claims(iss: "e\u{301}"), .hmac(secretA)), .rejected(.unknownAccount)),
    .init(
        "account-with-an-empty-secret", accounts, token(hs256, claims(iss: "AK-empty"), .hmac("")),
        .rejected(.noSecret)),
    .init("no-keys-good-token", .none, token(hs256, claims(), .hmac(secretA)), .rejected(.noSecret)),
    .init("no-keys-garbage", .none, "garbage", .rejected(.noSecret)),
]

/// RS256 and ES256 with keys made by the test: the algorithm is the key's, never the token's.
let publicKeyCases: [VerifyCase] = {
    let rsa = JWTKeys.shared(try! JWTKey(publicKeyPEM: TestKeys.rsaPublicPEM))
    let p256 = JWTKeys.shared(try! JWTKey(publicKeyPEM: TestKeys.p256PublicPEM))
    let rs256 = #"{"alg":"RS256","typ":"JWT"}"#
    let es256 = #"{"alg":"ES256","typ":"JWT"}"#
    return [
        .init("rs256-valid", rsa, "Bearer " + token(rs256, claims(), .rsa(TestKeys.rsa)), ok),
        .init("rs256-other-key", rsa, token(rs256, claims(), .rsa(TestKeys.otherRSA)), .rejected(.signature)),
        .init(
            "rs256-expired", rsa, token(rs256, claims(exp: -60), .rsa(TestKeys.rsa)), .rejected(.expired)),
        .init(
            "rs256-payload-swapped", rsa,
            {
                let good = token(rs256, claims(iss: "AK-x"), .rsa(TestKeys.rsa)).split(separator: ".")
                return "\(good[0]).\(base64URL(claims())).\(good[2])"
            }(),
            .rejected(.signature)),
        // The classic confusion: HS256 "signed" with the public key's PEM as the HMAC secret.
        .init(
            "hs256-signed-with-the-rsa-public-key", rsa, token(hs256, claims(), .hmac(TestKeys.rsaPublicPEM)),
            .rejected(.algorithm)),
        .init("rs256-alg-none", rsa, token(#"{"alg":"none"}"#, claims(), .raw([])), .rejected(.algorithm)),
        .init("es256-valid", p256, token(es256, claims(), .p256(TestKeys.p256)), ok),
        .init(
            "es256-other-key", p256, token(es256, claims(), .p256(TestKeys.otherP256)), .rejected(.signature)),
        .init(
            "es256-der-signature", p256, token(es256, claims(), .p256DER(TestKeys.p256)), .rejected(.signature)),
        .init(
            "es256-not-yet-valid", p256, token(es256, claims(nbf: 120), .p256(TestKeys.p256)),
            .rejected(.notYetValid)),
        .init(
            "hs256-signed-with-the-p256-public-key", p256, token(hs256, claims(), .hmac(TestKeys.p256PublicPEM)),
            .rejected(.algorithm)),
        .init("rs256-token-for-a-p256-key", p256, token(rs256, claims(), .rsa(TestKeys.rsa)), .rejected(.algorithm)),
        .init("es256-token-for-an-rsa-key", rsa, token(es256, claims(), .p256(TestKeys.p256)), .rejected(.algorithm)),
    ]
}()

@Suite("JWT verification")
struct JWTVerifierTests {
    @Test("HS256", arguments: hmacCases)
    func hmac(_ testCase: VerifyCase) {
        self.check(testCase)
    }

    @Test("secrets per account", arguments: accountCases)
    func perAccount(_ testCase: VerifyCase) {
        self.check(testCase)
    }

    @Test("RS256 and ES256", arguments: publicKeyCases)
    func publicKeys(_ testCase: VerifyCase) {
        self.check(testCase)
    }

    private func check(_ testCase: VerifyCase) {
        let verifier = JWTVerifier(claim: "iss", keys: testCase.keys, leeway: leeway)
        #expect(verifier.verify(testCase.authorization, now: now) == testCase.expected)
    }

    @Test func theLeewayIsConfigurable() {
        let late = token(hs256, claims(exp: -10), .hmac(secretA))
        #expect(JWTVerifier(claim: "iss", keys: sharedA, leeway: 0).verify(late, now: now) == .rejected(.expired))
        #expect(JWTVerifier(claim: "iss", keys: sharedA, leeway: 11).verify(late, now: now) == ok)
    }

    @Test func anotherClaimCanNameTheAccount() {
        let signed = token(hs256, #"{"iss":"AK-a","sub":"user-7"}"#, .hmac(secretA))
        let verifier = JWTVerifier(claim: "sub", keys: sharedA, leeway: leeway)
        #expect(verifier.verify(signed, now: now) == .verified(account: "user-7"))
    }

    @Test func detailTokensAreAFixedSet() {
        #expect(
            JWTRejection.allCases.map(\.rawValue) == [
                "jwt-no-secret", "jwt-malformed", "jwt-unknown-account", "jwt-alg", "jwt-signature", "jwt-expired",
                "jwt-not-yet-valid",
            ])
    }
}
