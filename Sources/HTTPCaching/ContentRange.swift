/// `Content-Range` values (RFC 9110 §14.4) and the `If-Range` precondition (RFC 9110 §13.1.5).
public enum ContentRange: Sendable {
    /// `bytes 0-99/1000`.
    public static func format(_ range: ClosedRange<Int>, length: Int) -> String {
        "bytes \(range.lowerBound)-\(range.upperBound)/\(length)"
    }

    /// `bytes */1000`, for a 416.
    public static func unsatisfied(length: Int) -> String {
        "bytes */\(length)"
    }

    /// RFC 9110 §13.1.5: whether `Range` applies. True without `If-Range`; with an entity tag, it
    /// must strongly match the stored one; with a date, it must equal the stored `Last-Modified`
    /// exactly. A weak or malformed `If-Range` means the full representation.
    public static func ifRangeAllowsRange(
        requestHeaders: some HTTPFieldReading,
        etag: String?,
        lastModified: String?
    ) -> Bool {
        let lines = requestHeaders.fieldValues("if-range")
        guard let value = lines.first else {
            return true
        }
        guard lines.count == 1 else {
            return false
        }
        let trimmed = FieldParsing.trimOWS(value)
        if trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/") {
            guard let requested = EntityTag(value), let current = etag.flatMap(EntityTag.init) else {
                return false
            }
            return requested.strongMatches(current)
        }
        guard let requested = HTTPDate.parse(value), let current = lastModified.flatMap(HTTPDate.parse) else {
            return false
        }
        return requested == current
    }
}
