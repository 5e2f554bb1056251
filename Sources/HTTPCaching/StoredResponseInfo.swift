/// What the proxy keeps with every stored entry to decide about reuse.
public struct StoredResponseInfo: Sendable, Equatable {
    public var status: Int
    /// The effective response directives (RFC 9213 targeted field, else `Cache-Control`).
    public var cacheControl: CacheControl
    public var freshness: Freshness
    /// The `ETag` field value as received (trimmed), if any.
    public var etag: String?
    /// The `Last-Modified` field value as received (trimmed), if any.
    public var lastModified: String?

    public init(status: Int, responseHeaders: some HTTPFieldReading, freshness: Freshness) {
        self.status = status
        self.cacheControl = CacheControl.effective(responseHeaders: responseHeaders)
        self.freshness = freshness
        self.etag = responseHeaders.fieldValues("etag").first.map { String(FieldParsing.trimOWS($0)) }
        self.lastModified = responseHeaders.fieldValues("last-modified").first.map {
            String(FieldParsing.trimOWS($0))
        }
    }

    public init(
        status: Int,
        cacheControl: CacheControl,
        freshness: Freshness,
        etag: String? = nil,
        lastModified: String? = nil
    ) {
        self.status = status
        self.cacheControl = cacheControl
        self.freshness = freshness
        self.etag = etag
        self.lastModified = lastModified
    }

    /// Whether the entry can be revalidated upstream with a conditional request (RFC 9111 §4.3.1): an `ETag` the
    /// upstream sent (not a ``DerivedETag``) or a `Last-Modified`.
    public var hasValidator: Bool {
        self.upstreamETag != nil || self.lastModified != nil
    }

    /// The `ETag` when the upstream sent it; nil for none or a ``DerivedETag``.
    public var upstreamETag: String? {
        guard let etag = self.etag, !DerivedETag.isDerived(etag) else { return nil }
        return etag
    }
}
