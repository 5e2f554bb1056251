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
            // A time directive whose value is not an Integer (`max-age="60"`, `max-age=a`) has the wrong type: the
            // field is invalid and ignored as a whole, so `Cache-Control` applies (cache-tests
            // `cdn-cc-invalid-sh-type-wrong`). A negative Integer is the right type with an unusable value: only
            // that directive is ignored, as in `Cache-Control`.
            if Self.integerDirectives.contains(member.key), !Self.isInteger(member.value) {
                return nil
            }
            cacheControl.apply(name: member.key, argument: member.value)
        }
        return cacheControl
    }

    /// The response directives whose value RFC 9213 §2.1 makes a Structured Fields Integer.
    static let integerDirectives: Set<String> = ["max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"]

    /// RFC 8941 §3.3.1: an optional minus and 1 to 15 digits.
    static func isInteger(_ value: Substring?) -> Bool {
        guard var digits = value?.utf8[...] else { return false }
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        return (1...15).contains(digits.count) && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
