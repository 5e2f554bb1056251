import NIOHTTP1

/// Per-request cache controls, sent as request fields on a rule with `client_controls = true` (the default on
/// `cache_body` rules), as AI gateways give them to their users. Reprise never forwards them.
///
/// - `Reprise-Cache-TTL: SECONDS`: the freshness of the entry stored from this response (1 to 2^31−1, capped by the
///   rule's `client_ttl_max`).
/// - `Reprise-Cache-Namespace: TOKEN`: a separate key space (a story version, an end user, an A/B arm): 1 to 64
///   token characters (RFC 9110 §5.6.2).
///
/// A malformed value is the client's mistake, answered with 400 and a JSON error (never silently ignored: a client
/// that meant to isolate its entries must not share them by accident).
struct ClientControls: Equatable {
    var ttl: Int?
    var namespace: String?

    static let ttlField = "reprise-cache-ttl"
    static let namespaceField = "reprise-cache-namespace"
    /// The response field naming the entry (`CredentialHasher.keyID`).
    static let keyField = "reprise-cache-key"
    /// Request fields Reprise reads and never forwards.
    static let requestFields = [ttlField, namespaceField]

    static let maxNamespaceLength = 64
    static let maxTTL = Int(Int32.max)

    /// The controls in `headers` (call it only when `RequestTraits.hasClientControls`), or the 400 to answer with.
    static func parse(_ headers: HTTPHeaders) -> Result<ClientControls, ClientControlError> {
        var controls = ClientControls()
        // Field lines as sent (not split on commas): "60, 70" is malformed, not two values.
        let ttlLines = headers[Self.ttlField].map(Self.trimmed)
        if !ttlLines.isEmpty {
            guard ttlLines.count == 1, let seconds = Self.seconds(ttlLines[0]) else {
                return .failure(
                    ClientControlError(
                        "Reprise-Cache-TTL must be one whole number of seconds from 1 to \(Self.maxTTL), e.g. 3600 "
                            + "(to store nothing, send Cache-Control: no-store)"
                    )
                )
            }
            controls.ttl = seconds
        }
        let namespaceLines = headers[Self.namespaceField].map(Self.trimmed)
        if !namespaceLines.isEmpty {
            guard namespaceLines.count == 1, Self.isNamespace(namespaceLines[0]) else {
                return .failure(
                    ClientControlError(
                        "Reprise-Cache-Namespace must be one token of 1 to \(Self.maxNamespaceLength) characters "
                            + "(letters, digits and !#$%&'*+-.^_`|~), e.g. story-v2"
                    )
                )
            }
            controls.namespace = String(namespaceLines[0])
        }
        return .success(controls)
    }

    private static func trimmed(_ line: String) -> Substring {
        var text = Substring(line)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }

    /// 1*DIGIT within 1...Int32.max; no sign, no spaces inside, no fraction.
    static func seconds(_ text: Substring) -> Int? {
        let digits = text.utf8
        guard !digits.isEmpty, digits.count <= 10,
            digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int(text), value >= 1, value <= Self.maxTTL
        else { return nil }
        return value
    }

    /// RFC 9110 §5.6.2 token, at most 64 characters.
    static func isNamespace(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= Self.maxNamespaceLength && text.utf8.allSatisfy(Self.isTokenByte)
    }

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Self.tokenSymbols.contains(byte)
        }
    }

    private static let tokenSymbols: Set<UInt8> = Set("!#$%&'*+-.^_`|~".utf8)

    /// What a namespace adds to a primary key (after the partition and any body digest). Tokens hold no space, so
    /// no key of another namespace, or without one, can end the same way.
    static func keySuffix(namespace: String) -> String {
        " ns=" + namespace
    }

    /// The freshness to store with, capped by the rule's `client_ttl_max`.
    func storedTTL(cap: Double) -> Double? {
        self.ttl.map { min(Double($0), cap) }
    }
}

struct ClientControlError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }

    var response: ErrorResponse { ErrorResponse(status: .badRequest, message: self.message) }
}
