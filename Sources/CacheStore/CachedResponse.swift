import HTTPCaching
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One stored response: immutable once built, shared by every hit (the body is never copied on a hit).
///
/// It holds what the response is, nothing about the proxy's decisions (which rule stored it, what it cost, which
/// fields a route keeps out of hits: the proxy reads those from its rules when it answers). Every tier stores it the
/// same way.
///
/// Compact on purpose (the memory budget counts every byte): the key, the target, every stored field and, for a
/// body of up to `compactionThreshold` bytes, the body share one buffer (`storage`), laid out as
/// `[key][target when it is not inside the key][fields sent on hits][cache-control lines][targeted fields][body]`.
/// The fields are kept only as their encoded lines; `headers` and `info` are rebuilt from them when a request needs
/// more than a plain hit.
public final class CachedResponse: Sendable {
    // MARK: Storage

    let storage: ByteBuffer
    let layout: Layout
    /// The body when it is not in `storage`: a replay that keeps its chunk boundaries, or a body over
    /// `compactionThreshold` (kept as it arrived, not copied).
    let parts: [ByteBuffer]?
    /// What the buffers of `parts` occupy (0 without parts).
    let partsBytes: Int
    /// The body when it stays in a file (a disk tier's entry served with `sendfile`).
    public let file: FileBody?

    struct Layout: Sendable {
        var keyLength: UInt32
        var targetStart: UInt32
        var targetLength: UInt32
        /// The fields a plain hit writes as they are (every stored field except `Cache-Control` and the targeted
        /// fields), then the `cache-control:` lines, then the targeted fields, one after the other.
        var wireStart: UInt32
        var wireLength: UInt32
        var cacheControlLength: UInt32
        var keptLength: UInt32
        /// The `ETag` and `Last-Modified` values inside the fields (length 0: none).
        var etagStart: UInt32
        var etagLength: UInt32
        var lastModifiedStart: UInt32
        var lastModifiedLength: UInt32
    }

    // MARK: What the response is

    /// HMAC of the credential values the route keys on ("-" when none); never a credential itself.
    public let partition: String
    /// Secondary key (RFC 9111 §4.1); empty when the response has no `Vary`.
    public let vary: VaryKey
    public let status: Int
    public let bodyLength: Int
    /// RFC 9111 §4.2: computed once, when the response arrived.
    public let freshness: Freshness
    /// The stored directives that decide reuse (the targeted field's, else `Cache-Control`'s).
    public let directives: StoredDirectives
    /// Tags of the rule that stored it, for tag purges (the rule's own array, shared by its entries).
    public let tags: [String]
    /// When the store may drop the entry (epoch seconds): end of freshness plus every stale window.
    public let evictAt: Double
    /// Bytes charged against a memory budget: what the entry really occupies, allocations and index included.
    public let cost: Int
    /// The upstream streamed it without a length (chunked): replays keep that framing and its chunk boundaries.
    public let chunked: Bool
    /// What generating it cost upstream, in its rule's units (characters, tokens; 0 when unknown): every hit saved
    /// this much. Kept with the response because it may have been read from the body (a JSON pointer, the last SSE
    /// event), which a hit does not parse again.
    public let savedCost: Int
    /// The stored body's content coding, lower-cased (`gzip`); nil when it has none (or `identity`). A hit checks
    /// that the client accepts it.
    public let contentCoding: String?
    /// The entry's short name (`Reprise-Cache-Key`) as a number; 0 when it has none.
    let keyIDValue: UInt64

    /// Bodies up to this size are copied once, at store time, into the entry's own buffer: a stored entry never pins
    /// a larger read buffer it happened to be sliced from, and a hit writes one buffer.
    public static let compactionThreshold = 1 << 20

    /// - Parameters:
    ///   - body: the body as it arrived. Unless `keepingParts`, a body of up to `compactionThreshold` bytes is copied
    ///     into the entry's buffer; larger ones are kept as given.
    ///   - keepingParts: a streamed response whose replay keeps its chunk boundaries (server-sent events).
    public convenience init(
        key: String,
        target: String,
        partition: String,
        vary: VaryKey,
        status: Int,
        headers: HTTPHeaders,
        body: [ByteBuffer],
        info: StoredResponseInfo,
        tags: [String],
        evictAt: Double,
        chunked: Bool = false,
        keepingParts: Bool = false,
        savedCost: Int = 0
    ) {
        let bodyLength = body.reduce(0) { $0 + $1.readableBytes }
        let inline = !keepingParts && bodyLength <= Self.compactionThreshold
        self.init(
            key: key,
            target: target,
            partition: partition,
            vary: vary,
            status: status,
            headers: headers,
            body: inline ? .inline(body) : .parts(body, keepingBoundaries: keepingParts),
            bodyLength: bodyLength,
            info: info,
            tags: tags,
            evictAt: evictAt,
            chunked: chunked,
            savedCost: savedCost
        )
    }

    /// An entry whose body stays in a file (the disk tier): sent from there, never copied into memory.
    public convenience init(
        key: String,
        target: String,
        partition: String,
        vary: VaryKey,
        status: Int,
        headers: HTTPHeaders,
        file: FileBody,
        info: StoredResponseInfo,
        tags: [String],
        evictAt: Double,
        chunked: Bool = false,
        savedCost: Int = 0
    ) {
        self.init(
            key: key,
            target: target,
            partition: partition,
            vary: vary,
            status: status,
            headers: headers,
            body: .file(file),
            bodyLength: file.length,
            info: info,
            tags: tags,
            evictAt: evictAt,
            chunked: chunked,
            savedCost: savedCost
        )
    }

    /// The same response with other fields and freshness (a 304 merge, RFC 9111 §4.3.4): the body is shared.
    public convenience init(_ entry: CachedResponse, headers: HTTPHeaders, info: StoredResponseInfo, evictAt: Double) {
        let body: Body
        if let file = entry.file {
            body = .file(file)
        } else if let parts = entry.parts {
            body = .segmented(parts, bytes: entry.partsBytes)
        } else {
            body = .inline(entry.bodyLength == 0 ? [] : [entry.inlineBody])
        }
        self.init(
            key: entry.key,
            target: entry.target,
            partition: entry.partition,
            vary: entry.vary,
            status: entry.status,
            headers: headers,
            body: body,
            bodyLength: entry.bodyLength,
            info: info,
            tags: entry.tags,
            evictAt: evictAt,
            chunked: entry.chunked,
            savedCost: entry.savedCost
        )
    }

    private enum Body {
        /// Copied into the entry's buffer.
        case inline([ByteBuffer])
        /// Copied into segments of the entry's own (`segmented`).
        case parts([ByteBuffer], keepingBoundaries: Bool)
        /// Already segmented (another entry's), with what the segments occupy.
        case segmented([ByteBuffer], bytes: Int)
        case file(FileBody)
    }

    private convenience init(
        key: String,
        target: String,
        partition: String,
        vary: VaryKey,
        status: Int,
        headers: HTTPHeaders,
        body: Body,
        bodyLength: Int,
        info: StoredResponseInfo,
        tags: [String],
        evictAt: Double,
        chunked: Bool,
        savedCost: Int
    ) {
        var inlineBytes = 0
        if case .inline = body { inlineBytes = bodyLength }
        var block = FieldBlock.encode(
            key: key,
            target: target,
            headers: headers,
            reservingBody: inlineBytes
        )
        // Moved out, not copied: a second reference would make the body's write below copy the buffer into one
        // that the default allocator rounds up to a power of two (a 300 KiB entry took 512 KiB).
        var storage = ByteBuffer()
        swap(&storage, &block.storage)
        var parts: [ByteBuffer]?
        var partsBytes = 0
        var file: FileBody?
        switch body {
        case .inline(let inline):
            for part in inline { storage.writeImmutableBuffer(part) }
        case .parts(let given, let keepingBoundaries):
            (parts, partsBytes) = Self.segmented(given, keepingBoundaries: keepingBoundaries)
        case .segmented(let given, let bytes):
            (parts, partsBytes) = (given, bytes)
        case .file(let given):
            file = given
        }
        self.init(
            storage: storage,
            layout: block.layout,
            parts: parts,
            partsBytes: partsBytes,
            file: file,
            partition: partition,
            vary: vary,
            status: status,
            bodyLength: bodyLength,
            freshness: info.freshness,
            directives: StoredDirectives(info.cacheControl),
            tags: tags,
            evictAt: evictAt,
            chunked: chunked,
            savedCost: savedCost,
            contentCoding: block.contentCoding,
            keyIDValue: block.keyID
        )
    }

    /// Every stored property as it is (an entry read back from its encoded form, `CachedResponse+Encoding`).
    init(
        storage: ByteBuffer,
        layout: Layout,
        parts: [ByteBuffer]?,
        partsBytes: Int,
        file: FileBody?,
        partition: String,
        vary: VaryKey,
        status: Int,
        bodyLength: Int,
        freshness: Freshness,
        directives: StoredDirectives,
        tags: [String],
        evictAt: Double,
        chunked: Bool,
        savedCost: Int,
        contentCoding: String?,
        keyIDValue: UInt64
    ) {
        self.storage = storage
        self.layout = layout
        self.parts = parts
        self.partsBytes = partsBytes
        self.file = file
        self.partition = partition
        self.vary = vary
        self.status = status
        self.bodyLength = bodyLength
        self.freshness = freshness
        self.directives = directives
        self.tags = tags
        self.evictAt = evictAt
        self.chunked = chunked
        self.savedCost = savedCost
        self.contentCoding = contentCoding
        self.keyIDValue = keyIDValue
        self.cost = Self.accountedBytes(storage: storage, partsBytes: partsBytes, partition: partition, vary: vary)
    }

    /// A body kept in parts, copied into buffers of its own of up to `compactionThreshold` bytes (an entry never pins
    /// the read buffers it arrived in, which may be far larger than what it uses of them). With `keepingBoundaries`
    /// (a chunked replay) whole parts are packed, each one a slice, so that a replay writes the same chunks. Returns
    /// the parts and what their buffers occupy.
    static func segmented(_ body: [ByteBuffer], keepingBoundaries: Bool) -> ([ByteBuffer], Int) {
        var remaining = body.reduce(0) { $0 + $1.readableBytes }
        var parts: [ByteBuffer] = []
        var segment: ByteBuffer?
        // The chunks written into the current segment (offset, length): sliced only once the segment is full. A slice
        // taken earlier shares the segment's storage, and the next write into it would copy the whole segment (every
        // chunk of a stream then held a copy of its own: 1.2 GiB of memory for a 32 MiB store after 200 streamed
        // text-to-speech answers).
        var chunks: [(offset: Int, length: Int)] = []
        var occupied = 0
        func closeSegment() {
            guard let full = segment else { return }
            for chunk in chunks { parts.append(full.getSlice(at: chunk.offset, length: chunk.length)!) }
            chunks.removeAll(keepingCapacity: true)
        }
        func startSegment(atLeast bytes: Int) {
            let capacity = max(bytes, min(Self.compactionThreshold, remaining))
            segment = ExactBuffer.make(capacity: capacity)
            occupied += Self.bufferObject + Self.allocated(capacity)
        }
        for part in body where part.readableBytes > 0 {
            if keepingBoundaries {
                if segment == nil || segment!.writableBytes < part.readableBytes {
                    closeSegment()
                    startSegment(atLeast: part.readableBytes)
                }
                chunks.append((segment!.writerIndex, part.readableBytes))
                segment!.writeImmutableBuffer(part)
                remaining -= part.readableBytes
            } else {
                var rest = part
                while rest.readableBytes > 0 {
                    if segment == nil || segment!.writableBytes == 0 {
                        if let full = segment { parts.append(full) }
                        startSegment(atLeast: 1)
                    }
                    var piece = rest.readSlice(length: min(rest.readableBytes, segment!.writableBytes))!
                    remaining -= piece.readableBytes
                    segment!.writeBuffer(&piece)
                }
            }
        }
        if keepingBoundaries { closeSegment() }
        if !keepingBoundaries, let last = segment, last.readableBytes > 0 { parts.append(last) }
        return (parts, occupied + Self.allocated(32 + parts.count * MemoryLayout<ByteBuffer>.stride))
    }

    /// Targeted cache-control fields (RFC 9213) are for Reprise: stored for revalidation, never sent on.
    /// (`FieldBlock.kind(of:)` tells these apart by their lengths, 21 and 17: keep the two in step.)
    public static let fieldsKeptFromClients: Set<String> = ["reprise-cache-control", "cdn-cache-control"]
}

/// A body in a file, open for as long as the entry holding it lives: the descriptor is closed when the last reference
/// goes. Each lookup of a disk entry opens its own, so two requests never share one (NIO's file handles allow one
/// user at a time).
public final class FileBody: Sendable {
    public let descriptor: CInt
    /// Where the body starts in the file, and its length.
    public let offset: Int
    public let length: Int

    public init(descriptor: CInt, offset: Int, length: Int) {
        self.descriptor = descriptor
        self.offset = offset
        self.length = length
    }

    deinit {
        _ = close(self.descriptor)
    }
}
