import CacheStore
import FuzzSupport
import NIOCore

/// A stored entry read back from its encoded form (`CacheStore.CachedResponse.readEncoded`, what an L2 value holds
/// inside `EntryCodec`'s envelope). The input is a value as Redis would hand it back: written by any build, damaged,
/// or not an entry at all.
///
/// Properties, beyond not crashing:
/// - Whatever reads back is readable whole: its key, target, path, fields (all, the wire lines, one by name, the
///   `Cache-Control` lines), validators, RFC 9111 facts and body, and its body is as long as it says.
/// - Written again, it reads back the same entry (every fact, every field in order, the body), with nothing left over.
@_cdecl("LLVMFuzzerTestOneInput")
public func l2EntryTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    guard let entry = CachedResponse.readEncoded(from: &input) else { return 0 }
    let view = View(entry)
    Property.equal(entry.body.reduce(0) { $0 + $1.readableBytes }, entry.bodyLength, "body length")
    _ = (entry.path, entry.etag, entry.hasValidator, entry.field("etag"), entry.singleBody, entry.isInMemory)
    var wire = ByteBuffer()
    entry.writeWireHeaders(dropping: ["content-type"], into: &wire)

    var again = ByteBuffer()
    entry.writeEncoded(into: &again)
    let copy = CachedResponse.readEncoded(from: &again)
    Property.require(copy != nil, "written again, it does not read back")
    Property.equal(again.readableBytes, 0, "bytes left after reading it again")
    if let copy { Property.equal(View(copy), view, "read back after writing it again") }
    return 0
}

/// What a reader can see of an entry.
struct View: Equatable {
    var key, target, partition, keyID: String
    var status, bodyLength, savedCost: Int
    var fields: [String]
    var cacheControl: [String]
    var body: [UInt8]
    var info: String
    var vary: String
    var tags: [String]
    var evictAt: UInt64
    var chunked: Bool
    var contentCoding: String?

    init(_ entry: CachedResponse) {
        self.key = entry.key
        self.target = entry.target
        self.partition = entry.partition
        self.keyID = entry.keyID
        self.status = entry.status
        self.bodyLength = entry.bodyLength
        self.savedCost = entry.savedCost
        self.fields = entry.headers.map { "\($0.name): \($0.value)" }
        self.cacheControl = entry.cacheControl
        self.body = entry.body.flatMap { Array($0.readableBytesView) }
        self.info = "\(entry.info) \(entry.directives)"
        self.vary = "\(entry.vary)"
        self.tags = entry.tags
        self.evictAt = entry.evictAt.bitPattern
        self.chunked = entry.chunked
        self.contentCoding = entry.contentCoding
    }
}
