/// Evaluating a client's conditional request against a stored response (RFC 9110 §13).
public enum Conditional: Sendable {
    public enum Outcome: String, Sendable {
        /// Answer 304 Not Modified (RFC 9110 §15.4.5).
        case notModified = "not-modified"
        /// Answer 412 Precondition Failed (RFC 9110 §15.5.13).
        case preconditionFailed = "precondition-failed"
        /// Evaluate the request normally.
        case proceed = "proceed"
    }

    /// RFC 9110 §15.4.5: the fields a 304 carries (when the 200 would have had them);
    /// `Last-Modified` is allowed as it guides cache updates.
    public static let notModifiedFieldNames: Set<String> = [
        "cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified",
    ]

    /// RFC 9110 §13.2.2: the preconditions in their order of precedence. Call it only when the
    /// stored response is a 2xx (RFC 9110 §13.2.1); `status` lets the function check that.
    public static func evaluate(
        method: String,
        requestHeaders: some HTTPFieldReading,
        etag: String?,
        lastModified: String?,
        status: Int = 200
    ) -> Outcome {
        // RFC 9110 §13.2.1: preconditions are ignored when the response would not be 2xx.
        guard (200..<300).contains(status) else {
            return .proceed
        }
        let currentTag = etag.flatMap(EntityTag.init)
        let modified = lastModified.flatMap(HTTPDate.parse)
        let isGetOrHead = method == "GET" || method == "HEAD"
        let ifMatch = requestHeaders.fieldValues("if-match")
        if !ifMatch.isEmpty {
            // RFC 9110 §13.1.1: strong comparison; `*` matches any current representation.
            if let condition = EntityTag.parseCondition(ifMatch), !Self.matches(condition, currentTag, weak: false) {
                return .preconditionFailed
            }
        } else if let since = requestHeaders.fieldValues("if-unmodified-since").first.flatMap(HTTPDate.parse),
            let modified, modified > since
        {
            // RFC 9110 §13.1.4: only without If-Match, and only with a Last-Modified to compare.
            return .preconditionFailed
        }
        let ifNoneMatch = requestHeaders.fieldValues("if-none-match")
        if !ifNoneMatch.isEmpty {
            // RFC 9110 §13.1.2: weak comparison; 304 for GET/HEAD, 412 for other methods.
            if let condition = EntityTag.parseCondition(ifNoneMatch), Self.matches(condition, currentTag, weak: true) {
                return isGetOrHead ? .notModified : .preconditionFailed
            }
            return .proceed
        }
        // RFC 9110 §13.1.3: If-Modified-Since only without If-None-Match, only for GET/HEAD.
        if isGetOrHead, let since = requestHeaders.fieldValues("if-modified-since").first.flatMap(HTTPDate.parse),
            let modified, modified <= since
        {
            return .notModified
        }
        return .proceed
    }

    /// The fields of a full response that its 304 keeps (RFC 9110 §15.4.5).
    public static func notModifiedHeaders(
        from fields: [(name: String, value: String)]
    ) -> [(name: String, value: String)] {
        fields.filter { Self.notModifiedFieldNames.contains($0.name.lowercased()) }
    }

    private static func matches(_ condition: EntityTag.Condition, _ current: EntityTag?, weak: Bool) -> Bool {
        switch condition {
        case .any:
            return true  // a stored response is a current representation
        case .tags(let tags):
            guard let current else {
                return false
            }
            return tags.contains { weak ? $0.weakMatches(current) : $0.strongMatches(current) }
        }
    }
}
