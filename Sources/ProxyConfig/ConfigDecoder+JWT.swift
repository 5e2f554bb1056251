import Foundation
import JWTVerification

// MARK: - key_jwt_claim: the claim, and the keys that verify the token before the claim may name a partition

extension ConfigDecoder {
    /// A leeway longer than this is an error: it is for clock skew, not a way to accept expired tokens.
    static let maximumLeeway: Duration = .seconds(300)

    /// `{ header = "Authorization", claim = "iss", secret = "${KLING_SECRET_KEY}" }`, the header lower-cased.
    mutating func jwtClaimKey(_ table: TableContext, _ key: String) -> JWTClaimKey? {
        guard let inner = self.inlineTable(table, key, schema: ConfigSchema.jwtClaim) else {
            return nil
        }
        let problemCount = self.problems.count
        if inner.entries["header"] == nil {
            _ = self.requiredString(inner, "header")
        }
        let header = self.headerName(inner, "header")
        var claim: String?
        if let written = self.requiredString(inner, "claim") {
            if written.value.isEmpty || written.value.contains(where: \.isWhitespace) {
                self.reportInvalid(
                    inner,
                    "claim",
                    written,
                    reason: "is not a claim name",
                    fix: "name a claim of the token's payload, e.g. \"iss\"."
                )
            } else {
                claim = written.value
            }
        }
        var leeway = JWTClaimKey.defaultLeeway
        if let written = self.duration(inner, "leeway") {
            if written > Self.maximumLeeway {
                self.report(
                    inner,
                    "leeway",
                    "\(self.written(inner, "leeway")) is more than 5m: the leeway allows for clock skew, and a long "
                        + "one keeps expired tokens usable.",
                    fix: "write a few seconds, e.g. leeway = \"30s\"."
                )
            }
            leeway = written
        }
        let keys = self.jwtKeys(inner)
        guard let header, let claim, self.problems.count == problemCount else {
            return nil
        }
        return JWTClaimKey(header: header, claim: claim, keys: keys, leeway: leeway)
    }

    /// The keys from `secret`, `secrets` or `public_key_file`; `.none`, with a warning, when none is set or the
    /// secret is empty (the route then forwards without caching).
    private mutating func jwtKeys(_ inner: TableContext) -> JWTKeys {
        let sources = ["secret", "secrets", "public_key_file"].filter { inner.entries[$0] != nil }
        if sources.count > 1 {
            self.report(
                inner,
                sources[1],
                "is set together with \(sources[0]), so which key verifies a token would be ambiguous.",
                fix: "keep one: secret for one account's HS256 secret, secrets for several accounts, "
                    + "public_key_file for RS256 or ES256."
            )
            return .none
        }
        switch sources.first {
        case "secret":
            return self.jwtSecret(inner)
        case "secrets":
            return self.jwtSecrets(inner)
        case "public_key_file":
            return self.jwtPublicKey(inner)
        default:
            self.warn(
                inner,
                nil,
                "has no secret, so tokens cannot be verified: requests on this route are forwarded and never cached.",
                fix: "add secret = \"${KLING_SECRET_KEY}\" (the secret the upstream issued with the account's key), "
                    + "secrets = { ... } for several accounts, or public_key_file for RS256 or ES256."
            )
            return .none
        }
    }

    /// `secret = "${KLING_SECRET_KEY}"`: HS256, the secret of any length; empty counts as none.
    private mutating func jwtSecret(_ inner: TableContext) -> JWTKeys {
        guard let secret = self.string(inner, "secret") else {
            return .none
        }
        guard !secret.value.isEmpty else {
            self.warn(
                inner,
                "secret",
                "\(secret.display) is empty, so tokens cannot be verified: requests on this route are forwarded and "
                    + "never cached.",
                fix: Self.emptySecretFix(secret, example: "secret = \"${KLING_SECRET_KEY}\"")
            )
            return .none
        }
        return .shared(.secret(secret.value))
    }

    /// `secrets = { "ak-a" = "${KLING_SK_A}", ... }`: one HS256 secret per value of the claim. Problems are reported
    /// against `secrets` and name the entry, never its value.
    private mutating func jwtSecrets(_ inner: TableContext) -> JWTKeys {
        guard let node = inner.entries["secrets"] else {
            return .none
        }
        guard case .table(let entries) = node else {
            self.typeMismatch(inner, "secrets", expected: "an inline table", found: node.kindDescription)
            return .none
        }
        guard !entries.isEmpty else {
            self.report(
                inner,
                "secrets",
                "is empty, so no token could be verified.",
                fix: "map each account (the claim's value) to its secret, e.g. "
                    + "secrets = { \"ak-a\" = \"${KLING_SK_A}\" }."
            )
            return .none
        }
        var secrets: [String: String] = [:]
        for account in entries.keys.sorted() {
            guard !account.isEmpty else {
                self.report(
                    inner,
                    "secrets",
                    "has an entry named \"\", which no token's claim names.",
                    fix: "name each entry by the claim's value, e.g. the account's access key."
                )
                continue
            }
            guard case .string(let text) = entries[account] else {
                let kind = entries[account]?.kindDescription ?? "nothing"
                self.report(
                    inner,
                    "secrets",
                    "the entry \"\(account)\" is \(kind), not a string.",
                    fix: "write each secret as a string, e.g. \"\(account)\" = \"${KLING_SK}\"."
                )
                continue
            }
            guard let secret = self.expand(inner, "secrets", text, expand: true) else {
                continue
            }
            if secret.value.isEmpty {
                self.warn(
                    inner,
                    "secrets",
                    "the secret of \"\(account)\", \(secret.display), is empty, so that account's tokens cannot be "
                        + "verified: its requests are forwarded and never cached.",
                    fix: Self.emptySecretFix(secret, example: "\"\(account)\" = \"${KLING_SK}\"")
                )
            }
            secrets[account] = secret.value
        }
        return .secrets(secrets)
    }

    /// `public_key_file = "kling.pem"`: RS256 or ES256, the path read from the config's directory when relative.
    private mutating func jwtPublicKey(_ inner: TableContext) -> JWTKeys {
        guard let file = self.string(inner, "public_key_file"),
            let path = self.readableFile(inner, "public_key_file", file)
        else {
            return .none
        }
        guard let data = FileManager.default.contents(atPath: path), let pem = String(data: data, encoding: .utf8)
        else {
            self.report(
                inner,
                "public_key_file",
                "\(file.display) is not PEM text.",
                fix: "give a PEM public key (-----BEGIN PUBLIC KEY-----)."
            )
            return .none
        }
        do {
            return .shared(try JWTKey(publicKeyPEM: pem))
        } catch {
            let (message, fix) = Self.keyFileProblem(error, file: file)
            self.report(inner, "public_key_file", message, fix: fix)
            return .none
        }
    }

    private static func keyFileProblem(_ error: JWTKeyError, file: ConfigString) -> (message: String, fix: String) {
        switch error {
        case .notPEM:
            return (
                "\(file.display) is not a PEM file.",
                "give a PEM public key (-----BEGIN PUBLIC KEY-----), e.g. from `openssl pkey -in key.pem -pubout`."
            )
        case .privateKey:
            return (
                "\(file.display) holds a private key; Reprise only verifies, with the public key.",
                "extract the public key with `openssl pkey -in key.pem -pubout -out public.pem`, name that file, "
                    + "and keep the private key off this machine."
            )
        case .certificate:
            return (
                "\(file.display) holds a certificate, not a public key.",
                "extract its key with `openssl x509 -in cert.pem -pubkey -noout > public.pem` and name that file."
            )
        case .rsaKeyTooSmall:
            return (
                "\(file.display) is an RSA key under 2048 bits.",
                "use an RSA key of 2048 bits or more (RS256), or a P-256 key (ES256)."
            )
        case .unsupportedKey:
            return (
                "\(file.display) is not an RSA or P-256 public key.",
                "give the RSA (RS256) or P-256 (ES256) public key the upstream's tokens are signed for."
            )
        }
    }

    /// How to give an empty secret a value: through the environment variable it was read from, when it was.
    private static func emptySecretFix(_ secret: ConfigString, example: String) -> String {
        if secret.fromEnvironment, let name = Self.variableName(secret.written) {
            return "export \(name)=<the secret the upstream issued> before starting reprise."
        }
        return "write the secret the upstream issued, e.g. \(example)."
    }

    /// NAME in the first `${NAME}` or `${NAME:-...}` of `text`.
    private static func variableName(_ text: String) -> String? {
        guard let open = text.range(of: "${") else {
            return nil
        }
        let name = text[open.upperBound...].prefix { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        return name.isEmpty ? nil : String(name)
    }
}
