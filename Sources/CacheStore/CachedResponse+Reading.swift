import HTTPCaching
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a stored response: its key, target and fields from the entry's one buffer, without copying the body.
extension CachedResponse {
    /// Primary cache key (method class + target + credential partition + authority [+ body hash]).
    public var key: String { self.string(at: 0, length: self.layout.keyLength) }

    /// Client-visible path with query, as the entry was requested (credential query parameters removed).
    public var target: String { self.string(at: self.layout.targetStart, length: self.layout.targetLength) }

    /// Client-visible path without query; the purge indexes group entries by it.
    public var path: String { self.target.pathWithoutQuery }

    /// Whether `key` is this entry's key (no allocation).
    public func hasKey(_ key: String) -> Bool {
        var key = key
        return key.withUTF8 { self.hasKey(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Whether `wanted` holds this entry's key, as UTF-8.
    public func hasKey(bytes wanted: UnsafeRawBufferPointer) -> Bool {
        guard wanted.count == Int(self.layout.keyLength) else { return false }
        return self.storage.withUnsafeReadableBytes { stored in
            wanted.count == 0 || memcmp(stored.baseAddress!, wanted.baseAddress!, wanted.count) == 0
        }
    }

    /// Whether `other` has the same key (no allocation).
    public func hasSameKey(as other: CachedResponse) -> Bool {
        guard self.layout.keyLength == other.layout.keyLength else { return false }
        return self.storage.withUnsafeReadableBytes { mine in
            other.storage.withUnsafeReadableBytes { theirs in
                mine.count == 0 || memcmp(mine.baseAddress!, theirs.baseAddress!, Int(self.layout.keyLength)) == 0
            }
        }
    }

    /// Whether `target` is this entry's target (no allocation).
    public func hasTarget(_ target: String) -> Bool {
        var target = target
        return target.withUTF8 { wanted in
            guard wanted.count == Int(self.layout.targetLength) else { return false }
            return self.storage.withUnsafeReadableBytes { stored in
                wanted.count == 0
                    || memcmp(stored.baseAddress! + Int(self.layout.targetStart), wanted.baseAddress!, wanted.count) == 0
            }
        }
    }

    /// The entry's short name (`Reprise-Cache-Key`), or "" when it has none.
    public var keyID: String { self.keyIDValue == 0 ? "" : KeyID.format(self.keyIDValue) }

    /// Every stored field except `Cache-Control` and the targeted fields, encoded once as `name: value\r\n` lines:
    /// a plain hit writes it as is.
    public var wireHeaders: ByteBuffer {
        self.storage.getSlice(at: Int(self.layout.wireStart), length: Int(self.layout.wireLength))!
    }

    /// The wire fields followed by the stored `cache-control:` lines, one slice.
    public var wireHeadersWithCacheControl: ByteBuffer {
        let length = Int(self.layout.wireLength + self.layout.cacheControlLength)
        return self.storage.getSlice(at: Int(self.layout.wireStart), length: length)!
    }

    /// Whether the entry has stored `Cache-Control` lines.
    public var hasCacheControl: Bool { self.layout.cacheControlLength > 0 }

    /// The body in one buffer, when it is stored in one.
    public var singleBody: ByteBuffer? {
        guard self.parts == nil, self.file == nil else { return nil }
        return self.inlineBody
    }

    /// Whether the body is in memory (not a file of the disk tier).
    public var isInMemory: Bool { self.file == nil }

    var inlineBody: ByteBuffer {
        let start = Int(self.layout.wireStart + self.layout.wireLength + self.layout.cacheControlLength + self.layout.keptLength)
        return self.storage.getSlice(at: start, length: self.bodyLength)!
    }

    /// The body as buffers (one, or the parts it is kept in); empty for a body in a file (see `file`).
    public var body: [ByteBuffer] {
        if let parts = self.parts { return parts }
        return self.bodyLength == 0 || self.file != nil ? [] : [self.inlineBody]
    }

    /// The stored `Cache-Control` values, one per stored line.
    public var cacheControl: [String] {
        let start = Int(self.layout.wireStart + self.layout.wireLength)
        return FieldBlock.fields(in: self.storage, at: start, length: Int(self.layout.cacheControlLength)).map(\.value)
    }

    /// End-to-end response fields as stored (hop-by-hop and `Age` removed). Rebuilt from the encoded lines: for
    /// answers other than a plain hit.
    public var headers: HTTPHeaders {
        let length = Int(self.layout.wireLength + self.layout.cacheControlLength + self.layout.keptLength)
        return HTTPHeaders(FieldBlock.fields(in: self.storage, at: Int(self.layout.wireStart), length: length))
    }

    /// The first stored value of the field `name` (any case), without rebuilding every field.
    public func field(_ name: String) -> String? {
        let length = Int(self.layout.wireLength + self.layout.cacheControlLength + self.layout.keptLength)
        return FieldBlock.firstValue(named: name, in: self.storage, at: Int(self.layout.wireStart), length: length)
    }

    /// Writes the fields a plain hit sends, leaving out those named in `dropping` (lower-cased names).
    public func writeWireHeaders(dropping: [String], into buffer: inout ByteBuffer) {
        guard !dropping.isEmpty else {
            buffer.writeImmutableBuffer(self.wireHeaders)
            return
        }
        FieldBlock.forEachLine(in: self.storage, at: Int(self.layout.wireStart), length: Int(self.layout.wireLength)) { name, line in
            if !dropping.contains(name.lowercased()) { buffer.writeImmutableBuffer(line) }
        }
    }

    /// The RFC 9111 facts reuse decisions read.
    public var info: StoredResponseInfo {
        StoredResponseInfo(
            status: self.status,
            cacheControl: self.directives.cacheControl,
            freshness: self.freshness,
            etag: self.optionalString(at: self.layout.etagStart, length: self.layout.etagLength),
            lastModified: self.optionalString(at: self.layout.lastModifiedStart, length: self.layout.lastModifiedLength)
        )
    }

    /// The stored `ETag` value.
    public var etag: String? { self.optionalString(at: self.layout.etagStart, length: self.layout.etagLength) }

    /// Whether the entry can be revalidated upstream (RFC 9111 §4.3.1): an upstream `ETag` or a `Last-Modified`.
    public var hasValidator: Bool {
        if self.layout.lastModifiedLength > 0 { return true }
        guard let etag = self.etag else { return false }
        return !DerivedETag.isDerived(etag)
    }

    private func string(at start: UInt32, length: UInt32) -> String {
        self.storage.getString(at: Int(start), length: Int(length)) ?? ""
    }

    private func optionalString(at start: UInt32, length: UInt32) -> String? {
        length == 0 ? nil : self.string(at: start, length: length)
    }
}
