/// A strong entity tag that the cache made for a stored response that arrived without one (Reprise derives it from a
/// hash of the body, so the same body always gets the same tag, on every instance). It lets clients revalidate the
/// stored copy cheaply (RFC 9110 §13.1.2: `If-None-Match` answered with 304 from the cache), but the upstream never
/// issued it: it is never sent upstream (RFC 9111 §4.3.1 validators come from the origin) and does not count as the
/// upstream's validator when deciding how long to keep a stale entry.
public enum DerivedETag {
    /// Every derived tag starts with this (quote included); the rest is lower-case hex.
    public static let prefix = "\"reprise-"

    /// Whether an `ETag` field value is one the cache derived.
    public static func isDerived(_ etag: String) -> Bool {
        etag.hasPrefix(Self.prefix)
    }

    /// The tag for a body digest written as hex digits.
    public static func make(hexDigest: String) -> String {
        Self.prefix + hexDigest + "\""
    }
}
