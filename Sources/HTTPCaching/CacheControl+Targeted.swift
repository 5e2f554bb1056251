// MARK: RFC 9213 targeted cache-control fields

extension CacheControl {
    /// The targeted fields Reprise obeys, most specific first (RFC 9213 §2.2).
    public static let targetedFieldNames = ["reprise-cache-control", "cdn-cache-control"]

    /// The directives Reprise obeys for a response: the first targeted field in `targetedNames`
    /// that is present, valid and not empty replaces `Cache-Control` entirely (RFC 9213 §2.2);
    /// without one, `Cache-Control` applies.
    public static func effective(
        responseHeaders: some HTTPFieldReading,
        targetedNames: [String] = CacheControl.targetedFieldNames
    ) -> CacheControl {
        for name in targetedNames {
            if let targeted = Self.targeted(fieldValues: responseHeaders.fieldValues(name)) {
                return targeted
            }
        }
        return CacheControl(headers: responseHeaders)
    }

    /// Parses a targeted field as a Structured Fields Dictionary (RFC 9213 §2.1); `nil` when it is
    /// absent, invalid (RFC 9213 §2.2: then it is ignored) or empty.
    public static func targeted(fieldValues: [String]) -> CacheControl? {
        guard !fieldValues.isEmpty,
            let dictionary = StructuredDictionary(fieldValues.joined(separator: ", ")),
            !dictionary.members.isEmpty
        else {
            return nil
        }
        var cacheControl = CacheControl()
        for member in dictionary.members where !member.isFalse {
            cacheControl.apply(name: member.key, argument: member.value)
        }
        return cacheControl
    }
}
