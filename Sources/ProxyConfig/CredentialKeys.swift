/// `store_if_json = { pointer = "/data/task_status", in = ["succeed", "failed"] }`: store a response
/// only when its JSON body has, at `pointer`, a string equal to one of `values` (e.g. a finished
/// task, not one still running).
public struct JSONCondition: Sendable, Equatable {
    /// An RFC 6901 JSON Pointer: "" (the whole body) or "/member/0/...", with "~0" and "~1" escapes.
    public var pointer: String
    /// Non-empty; compared as exact strings.
    public var values: [String]

    public init(pointer: String, values: [String]) {
        self.pointer = pointer
        self.values = values
    }
}

/// `key_jwt_claim = { header = "Authorization", claim = "iss" }`: partition the cache by one claim of
/// a JWT sent in `header`, for APIs whose clients sign a new token per call (Kling), so the token
/// itself cannot key anything. Like `key_headers`, the claim's value is hashed, never stored.
public struct JWTClaimKey: Sendable, Equatable {
    /// Lower-cased request header carrying the token, bare or as "Bearer <token>".
    public var header: String
    /// Name of a claim of the token's payload, e.g. "iss" (Kling's access key).
    public var claim: String

    public init(header: String, claim: String) {
        self.header = header
        self.claim = claim
    }
}
