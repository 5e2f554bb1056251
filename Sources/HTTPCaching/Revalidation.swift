/// Validating a stored response with the origin (RFC 9111 §4.3).
public enum Revalidation: Sendable {
    /// RFC 9111 §4.3.1: the conditional fields to add to the forwarded request: `If-None-Match`
    /// with the stored entity tag, `If-Modified-Since` with the stored `Last-Modified`.
    public static func conditionalHeaders(for stored: StoredResponseInfo) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        if let etag = stored.upstreamETag, let tag = EntityTag(etag) {
            headers.append((name: "If-None-Match", value: tag.description))
        }
        if let lastModified = stored.lastModified, HTTPDate.parse(lastModified) != nil {
            headers.append((name: "If-Modified-Since", value: lastModified))
        }
        return headers
    }

    /// RFC 9111 §3.2: fields never taken from a 304 into the stored response — the ones not stored
    /// at all (§3.1: hop-by-hop), `Content-Length`, and the ones the stored body depends on.
    public static let fieldsNotUpdated: Set<String> = HopByHop.alwaysRemoved.union([
        "content-length", "content-encoding", "content-range", "proxy-authentication-info",
    ])

    /// RFC 9111 §3.2, §4.3.4: the stored fields updated with those of a 304. A field of the 304
    /// replaces every stored line of the same name (at the place of the first one); the fields in
    /// ``fieldsNotUpdated`` and those named in the 304's `Connection` are ignored.
    public static func mergeHeaders(
        stored: [(name: String, value: String)],
        notModified: [(name: String, value: String)]
    ) -> [(name: String, value: String)] {
        let connection = notModified.filter { $0.name.lowercased() == "connection" }.map(\.value)
        let ignored = Self.fieldsNotUpdated.union(HopByHop.fieldNamesToRemove(connectionValues: connection))
        let updates = notModified.filter { !ignored.contains($0.name.lowercased()) }
        let updatedNames = Set(updates.map { $0.name.lowercased() })
        var merged: [(name: String, value: String)] = []
        var written = Set<String>()
        for field in stored {
            let name = field.name.lowercased()
            guard updatedNames.contains(name) else {
                merged.append(field)
                continue
            }
            if written.insert(name).inserted {
                merged.append(contentsOf: updates.filter { $0.name.lowercased() == name })
            }
        }
        for field in updates where !written.contains(field.name.lowercased()) {
            merged.append(field)
        }
        return merged
    }

    /// RFC 9111 §4.3.4: whether a 304 answering our conditional request applies to the stored
    /// response. A strong `ETag` must strongly match; a weak one must weakly match; without an
    /// `ETag`, a `Last-Modified` must equal the stored one; a 304 with no validator applies to the
    /// single response being revalidated (see Leniencies).
    public static func notModifiedMatches(
        stored: StoredResponseInfo,
        notModifiedHeaders: some HTTPFieldReading
    ) -> Bool {
        if let value = notModifiedHeaders.fieldValues("etag").first {
            guard let received = EntityTag(value), let storedTag = stored.etag.flatMap(EntityTag.init) else {
                return false
            }
            return received.isWeak ? received.weakMatches(storedTag) : received.strongMatches(storedTag)
        }
        if let value = notModifiedHeaders.fieldValues("last-modified").first {
            guard let received = HTTPDate.parse(value), let storedDate = stored.lastModified.flatMap(HTTPDate.parse)
            else {
                return false
            }
            return received == storedDate
        }
        return true
    }
}
