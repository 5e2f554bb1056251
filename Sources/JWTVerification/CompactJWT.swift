import BodyKeying

/// A JWS in compact serialization (RFC 7515 §7.1) as a client sends it in a request header: split and decoded,
/// not verified (`JWTVerifier` does that).
struct CompactJWT {
    /// The JOSE header's members (RFC 7515 §4), each name once.
    let header: [(String, JSONValue)]
    /// The payload's claims (RFC 7519 §4), each name once.
    let claims: [(String, JSONValue)]
    /// ASCII(BASE64URL(header) || '.' || BASE64URL(payload)): the bytes the signature covers (RFC 7515 §5.2).
    let signingInput: ArraySlice<UInt8>
    /// The decoded signature; empty for an unsecured JWS (`"alg": "none"`, RFC 7519 §6), which only the
    /// algorithm check can refuse, with its own reason.
    let signature: [UInt8]

    /// Reads `Bearer <header>.<payload>.<signature>` or a bare token.
    ///
    /// The scheme `Bearer` is matched case-insensitively (RFC 7235 §2.1) and surrounding spaces and tabs are
    /// ignored. nil unless the token is three base64url parts without padding, the first two non-empty, whose
    /// header and payload decode to JSON objects with no member name twice. RFC 7515 §4 lets a parser either
    /// reject duplicate names or take the last one; rejecting is the strict choice, since another parser (the
    /// upstream's) may take the first.
    init?(authorization value: some StringProtocol) {
        var token = Array(value.utf8)[...]
        while let first = token.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            token = token.dropFirst()
        }
        if token.count > 7, Self.isBearer(token.prefix(7)) {
            token = token.dropFirst(7)
            while let first = token.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                token = token.dropFirst()
            }
        }
        while let last = token.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            token = token.dropLast()
        }
        let parts = token.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
            let headerBytes = Base64URL.decode(parts[0]), let header = Self.members(headerBytes),
            let payloadBytes = Base64URL.decode(parts[1]), let claims = Self.members(payloadBytes),
            let signature = Base64URL.decode(parts[2])
        else { return nil }
        self.header = header
        self.claims = claims
        self.signingInput = token[parts[0].startIndex..<parts[1].endIndex]
        self.signature = signature
    }

    /// A header parameter, e.g. "alg".
    func headerParameter(_ name: String) -> JSONValue? {
        Self.member(name, in: self.header)
    }

    /// A claim of the payload, e.g. "iss" or "exp".
    func claim(_ name: String) -> JSONValue? {
        Self.member(name, in: self.claims)
    }

    // MARK: - Helpers

    /// Member names compare by their UTF-8 bytes, as `JSONValue` does.
    private static func member(_ name: String, in members: [(String, JSONValue)]) -> JSONValue? {
        members.first(where: { $0.0.utf8.elementsEqual(name.utf8) })?.1
    }

    /// The members of a JSON object, or nil when `bytes` is not one or names a member twice.
    private static func members(_ bytes: [UInt8]) -> [(String, JSONValue)]? {
        guard case .object(let members) = JSONParser.parse(bytes) else { return nil }
        var names = Set<[UInt8]>()
        for (name, _) in members where !names.insert(Array(name.utf8)).inserted {
            return nil
        }
        return members
    }

    private static func isBearer(_ scheme: ArraySlice<UInt8>) -> Bool {
        // ASCII lower-casing: "bearer " in any case.
        scheme.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }.elementsEqual("bearer ".utf8)
    }
}
