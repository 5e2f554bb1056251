import Crypto
import Foundation
import JWTVerification
import Testing
import _CryptoExtras

@testable import ProxyConfig

/// `key_jwt_claim`'s keys (secret, secrets, public_key_file, leeway): what loads, what warns, exact messages.
@Suite("key_jwt_claim verification keys")
struct JWTClaimConfigTests {
    /// The upstream of `baseUpstream` with `key_jwt_claim = <value>` on line 5.
    static func upstream(_ value: String) -> String {
        baseUpstream.replacingOccurrences("\n\n", "\nkey_jwt_claim = \(value)\n\n")
    }

    static func claim(_ keys: String) -> String {
        Self.upstream("{ header = \"Authorization\", claim = \"iss\"\(keys.isEmpty ? "" : ", " + keys) }")
    }

    static let path = "proxy.conf:5: upstream[elevenlabs].key_jwt_claim"

    // MARK: - What loads

    @Test func aSecretFromTheEnvironmentVerifiesHS256() throws {
        let config = try ConfigLoader.parse(
            Self.claim("secret = \"${KLING_SECRET_KEY}\""), environment: ["KLING_SECRET_KEY": "sk"])
        let key = try #require(config.upstreams[0].keyJWTClaim)
        #expect(key.verifier.keys == .shared(.secret("sk")))
        #expect(key.verifier.leeway == 30)
        #expect(key.header == "authorization" && key.claim == "iss")
        #expect(config.warnings.isEmpty)
    }

    @Test func secretsMapAccountsToSecrets() throws {
        let config = try ConfigLoader.parse(
            Self.claim(#"secrets = { "ak-a" = "${KLING_SK_A}", "ak-b" = "literal-b" }, leeway = "5s""#),
            environment: ["KLING_SK_A": "sk-a"]
        )
        let key = try #require(config.upstreams[0].keyJWTClaim)
        #expect(key.verifier.keys == .secrets(["ak-a": "sk-a", "ak-b": "literal-b"]))
        #expect(key.verifier.leeway == 5)
    }

    @Test func secretsAsDottedKeysOnTheirOwnLines() throws {
        let text = Self.upstream("{ header = \"Authorization\", claim = \"iss\" }").replacingOccurrences(
            "key_jwt_claim = { header = \"Authorization\", claim = \"iss\" }",
            "key_jwt_claim.header = \"Authorization\"\nkey_jwt_claim.claim = \"iss\"\n"
                + "key_jwt_claim.secrets.\"ak-a\" = \"sk-a\"\nkey_jwt_claim.leeway = \"1h\""
        )
        #expect(
            problems(text) == [
                "proxy.conf:8: upstream[elevenlabs].key_jwt_claim.leeway: \"1h\" is more than 5m: the leeway allows "
                    + "for clock skew, and a long one keeps expired tokens usable. Fix: write a few seconds, e.g. "
                    + "leeway = \"30s\"."
            ])
    }

    @Test func aRuleMayVerifyWithItsOwnKey() throws {
        let text = GenerationCachingTests.voicesRule(
            "key_jwt_claim = { header = \"X-Token\", claim = \"sub\", secret = \"rule-secret\", leeway = 0 }\n")
        let config = try ConfigLoader.parse(text)
        let key = try #require(config.rules[0].keyJWTClaim)
        #expect(key.verifier.keys == .shared(.secret("rule-secret")) && key.verifier.leeway == 0)
    }

    // MARK: - Warnings: the route forwards uncached

    struct WarningCase: CustomTestStringConvertible, Sendable {
        var name: String
        var keys: String
        var environment: [String: String] = [:]
        var expected: String
        var testDescription: String { self.name }
    }

    static let warningCases: [WarningCase] = [
        .init(
            name: "no secret at all", keys: "",
            expected: "\(path): warning: has no secret, so tokens cannot be verified: requests on this route are "
                + "forwarded and never cached. Fix: add secret = \"${KLING_SECRET_KEY}\" (the secret the upstream "
                + "issued with the account's key), secrets = { ... } for several accounts, or public_key_file for "
                + "RS256 or ES256."
        ),
        .init(
            name: "secret from an unset variable with an empty default", keys: "secret = \"${KLING_SECRET_KEY:-}\"",
            expected: "\(path).secret: warning: \"${KLING_SECRET_KEY:-}\" is empty, so tokens cannot be verified: "
                + "requests on this route are forwarded and never cached. Fix: export KLING_SECRET_KEY=<the secret "
                + "the upstream issued> before starting reprise."
        ),
        .init(
            name: "secret from a variable set to nothing", keys: "secret = \"${KLING_SECRET_KEY}\"",
            environment: ["KLING_SECRET_KEY": ""],
            expected: "\(path).secret: warning: \"${KLING_SECRET_KEY}\" is empty, so tokens cannot be verified: "
                + "requests on this route are forwarded and never cached. Fix: export KLING_SECRET_KEY=<the secret "
                + "the upstream issued> before starting reprise."
        ),
        .init(
            name: "secret written empty", keys: "secret = \"\"",
            expected: "\(path).secret: warning: \"\" is empty, so tokens cannot be verified: requests on this route "
                + "are forwarded and never cached. Fix: write the secret the upstream issued, e.g. "
                + "secret = \"${KLING_SECRET_KEY}\"."
        ),
        .init(
            name: "one account's secret empty", keys: #"secrets = { "ak-a" = "sk-a", "ak-b" = "${KLING_SK_B:-}" }"#,
            expected: "\(path).secrets: warning: the secret of \"ak-b\", \"${KLING_SK_B:-}\", is empty, so that "
                + "account's tokens cannot be verified: its requests are forwarded and never cached. Fix: export "
                + "KLING_SK_B=<the secret the upstream issued> before starting reprise."
        ),
    ]

    @Test(arguments: Self.warningCases)
    func warning(_ testCase: WarningCase) throws {
        let config = try ConfigLoader.parse(Self.claim(testCase.keys), environment: testCase.environment)
        #expect(config.warnings.map(\.description) == [testCase.expected])
        #expect(config.warnings.allSatisfy { $0.severity == .warning })
    }

    @Test func withoutASecretTheRouteHasNoKeys() throws {
        let config = try ConfigLoader.parse(Self.claim("secret = \"${KLING_SECRET_KEY:-}\""))
        #expect(config.upstreams[0].keyJWTClaim?.verifier.keys == JWTKeys.none)
    }

    @Test func warningsAreListedAfterTheProblemsOfABadFile() {
        do {
            _ = try ConfigLoader.parse(Self.claim("") + "[cache]\nmemory = \"lots\"\n")
            Issue.record("the file loaded")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.warnings.count == 1)
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == 2 && lines[0].hasPrefix("proxy.conf:8: cache.memory: "))
            #expect(lines[1].hasPrefix("\(Self.path): warning: has no secret"))
        }
    }

    // MARK: - Errors

    static let cases: [BadCase] = [
        BadCase(
            "secret and secrets together",
            claim(#"secret = "a", secrets = { "ak" = "b" }"#),
            "\(path).secrets: is set together with secret, so which key verifies a token would be ambiguous. Fix: "
                + "keep one: secret for one account's HS256 secret, secrets for several accounts, public_key_file "
                + "for RS256 or ES256."
        ),
        BadCase(
            "secret and public_key_file together",
            claim(#"secret = "a", public_key_file = "kling.pem""#),
            "\(path).public_key_file: is set together with secret, so which key verifies a token would be "
                + "ambiguous. Fix: keep one: secret for one account's HS256 secret, secrets for several accounts, "
                + "public_key_file for RS256 or ES256."
        ),
        BadCase(
            "secret misspelled",
            claim(#"secert = "a""#),
            "\(path): unknown key \"secert\". Fix: did you mean secret?"
        ),
        BadCase(
            "secret as a number",
            claim("secret = 123"),
            "\(path).secret: expected a string, found an integer. Fix: write secret = \"${KLING_SECRET_KEY}\"."
        ),
        BadCase(
            "secret from an unset variable",
            claim("secret = \"${KLING_SECRET_KEY}\""),
            "\(path).secret: \"${KLING_SECRET_KEY}\" needs the environment variable KLING_SECRET_KEY, which is not "
                + "set. Fix: export KLING_SECRET_KEY=... before starting reprise, or write "
                + "${KLING_SECRET_KEY:-default}."
        ),
        BadCase(
            "secrets as a string",
            claim(#"secrets = "ak-a=sk""#),
            "\(path).secrets: expected an inline table, found a string. Fix: write secrets = { \"ak-a\" = "
                + "\"${KLING_SK_A}\", \"ak-b\" = \"${KLING_SK_B}\" }."
        ),
        BadCase(
            "secrets empty",
            claim("secrets = {}"),
            "\(path).secrets: is empty, so no token could be verified. Fix: map each account (the claim's value) to "
                + "its secret, e.g. secrets = { \"ak-a\" = \"${KLING_SK_A}\" }."
        ),
        BadCase(
            "secrets with a number",
            claim(#"secrets = { "ak-a" = 42, "ak-b" = "sk-b" }"#),
            "\(path).secrets: the entry \"ak-a\" is an integer, not a string. Fix: write each secret as a string, "
                + "e.g. \"ak-a\" = \"${KLING_SK}\"."
        ),
        BadCase(
            "secrets with an empty account",
            claim(#"secrets = { "" = "sk" }"#),
            "\(path).secrets: has an entry named \"\", which no token's claim names. Fix: name each entry by the "
                + "claim's value, e.g. the account's access key."
        ),
        BadCase(
            "secrets from an unset variable",
            claim(#"secrets = { "ak-a" = "${KLING_SK_A}" }"#),
            "\(path).secrets: \"${KLING_SK_A}\" needs the environment variable KLING_SK_A, which is not set. Fix: "
                + "export KLING_SK_A=... before starting reprise, or write ${KLING_SK_A:-default}."
        ),
        BadCase(
            "leeway not a duration",
            claim(#"secret = "sk", leeway = "soon""#),
            "\(path).leeway: \"soon\" is not a duration. Fix: write an integer and a unit (ms, s, m, h or d), e.g. "
                + "\"500ms\", \"30s\", \"10m\" or \"1h\"."
        ),
        BadCase(
            "leeway negative",
            claim(#"secret = "sk", leeway = -5"#),
            "\(path).leeway: -5 is negative. Fix: write an integer and a unit (ms, s, m, h or d), e.g. \"500ms\", "
                + "\"30s\", \"10m\" or \"1h\"."
        ),
        BadCase(
            "leeway too long",
            claim(#"secret = "sk", leeway = "10m""#),
            "\(path).leeway: \"10m\" is more than 5m: the leeway allows for clock skew, and a long one keeps expired "
                + "tokens usable. Fix: write a few seconds, e.g. leeway = \"30s\"."
        ),
        BadCase(
            "rule secrets as an array",
            GenerationCachingTests.ttsRule(
                "key_jwt_claim = { header = \"Authorization\", claim = \"iss\", secrets = [\"sk\"] }\n"),
            "proxy.conf:10: rule[tts].key_jwt_claim.secrets: expected an inline table, found an array. Fix: write "
                + "secrets = { \"ak-a\" = \"${KLING_SK_A}\", \"ak-b\" = \"${KLING_SK_B}\" }."
        ),
    ]

    @Test(arguments: Self.cases)
    func badEntry(_ testCase: BadCase) {
        #expect(problems(testCase.text, environment: testCase.environment) == testCase.expected)
    }

    @Test func secretsNeverAppearInMessagesOrDescriptions() throws {
        let secret = "s3cr3t-VALUE-do-not-print"
        let environment = ["KLING_SECRET_KEY": secret, "KLING_SK_A": secret]
        for keys in [
            "secret = \"${KLING_SECRET_KEY}\", leeway = \"soon\"",
            #"secrets = { "ak-a" = "${KLING_SK_A}", "ak-b" = 1 }"#,
            "secret = \"${KLING_SECRET_KEY}\", secrets = { \"ak-a\" = \"${KLING_SK_A}\" }",
        ] {
            let messages = problems(Self.claim(keys), environment: environment)
            #expect(!messages.isEmpty)
            #expect(!messages.joined().contains(secret))
        }
        let config = try ConfigLoader.parse(Self.claim("secret = \"${KLING_SECRET_KEY}\""), environment: environment)
        var dumped = ""
        dump(config, to: &dumped)
        #expect(!String(describing: config).contains(secret) && !dumped.contains(secret))
    }

    // MARK: - public_key_file

    /// A directory with the files the cases name (a name ending in "/" is a directory, an empty text no file), and
    /// a config in it that points at `file`.
    static func loadKeyFile(_ file: String, files: [String: String]) throws(ConfigError) -> ProxyConfiguration {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("jwtkeys-\(UInt64.random(in: 0...UInt64.max))")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in files {
            if name.hasSuffix("/") {
                try? FileManager.default.createDirectory(
                    at: directory.appendingPathComponent(name), withIntermediateDirectories: true)
            } else if !text.isEmpty {
                try? text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
        }
        let configPath = directory.appendingPathComponent("proxy.conf").path
        try? Self.claim("public_key_file = \"\(file)\"").write(toFile: configPath, atomically: true, encoding: .utf8)
        return try ConfigLoader.load(path: configPath, environment: [:])
    }

    @Test func publicKeyFilesAreReadFromTheConfigDirectory() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey.pemRepresentation
        let p256 = P256.Signing.PrivateKey().publicKey.pemRepresentation
        let files = ["rsa.pem": rsa, "p256.pem": p256]
        let rsaKey = try Self.loadKeyFile("rsa.pem", files: files).upstreams[0].keyJWTClaim?.verifier.keys
        #expect(rsaKey == .shared(try JWTKey(publicKeyPEM: rsa)))
        let p256Key = try Self.loadKeyFile("p256.pem", files: files).upstreams[0].keyJWTClaim?.verifier.keys
        #expect(p256Key == .shared(try JWTKey(publicKeyPEM: p256)))
    }

    static let keyFileCases: [(String, String, String)] = [
        (
            "missing.pem", "",
            "\"missing.pem\" does not exist. Fix: check the path; a relative path is read from the directory of the "
                + "config file."
        ),
        ("keys/", "", "\"keys/\" is a directory. Fix: name the PEM file itself."),
        (
            "private.pem", P256.Signing.PrivateKey().pemRepresentation,
            "\"private.pem\" holds a private key; Reprise only verifies, with the public key. Fix: extract the public "
                + "key with `openssl pkey -in key.pem -pubout -out public.pem`, name that file, and keep the private "
                + "key off this machine."
        ),
        (
            "id_ed25519.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA user@host",
            "\"id_ed25519.pub\" is not a PEM file. Fix: give a PEM public key (-----BEGIN PUBLIC KEY-----), e.g. from "
                + "`openssl pkey -in key.pem -pubout`."
        ),
        (
            "cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "\"cert.pem\" holds a certificate, not a public key. Fix: extract its key with `openssl x509 -in cert.pem "
                + "-pubkey -noout > public.pem` and name that file."
        ),
        (
            "rsa1024.pem",
            try! _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).publicKey.pemRepresentation,
            "\"rsa1024.pem\" is an RSA key under 2048 bits. Fix: use an RSA key of 2048 bits or more (RS256), or a "
                + "P-256 key (ES256)."
        ),
        (
            "p384.pem", P384.Signing.PrivateKey().publicKey.pemRepresentation,
            "\"p384.pem\" is not an RSA or P-256 public key. Fix: give the RSA (RS256) or P-256 (ES256) public key the "
                + "upstream's tokens are signed for."
        ),
    ]

    @Test(arguments: Self.keyFileCases)
    func badKeyFile(_ file: String, _ text: String, _ expected: String) {
        do {
            _ = try Self.loadKeyFile(file, files: [file: text])
            Issue.record("\(file) loaded")
        } catch {
            #expect(error.problems.map { $0.message + " Fix: " + $0.fix } == [expected])
            #expect(error.problems.first?.key == "upstream[elevenlabs].key_jwt_claim.public_key_file")
            #expect(error.problems.first?.line == 5)
        }
    }
}
