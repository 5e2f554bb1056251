import CDiskSupport
import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1

/// One entry file: `[body][meta][footer]`.
///
/// The body comes first, unchanged, so that a hit sends it with `sendfile` from offset 0 and a large body can be
/// written as it streams. The meta (what the index needs first: sequence, expiry, cost, key, target, partition, key
/// id, `Vary`, tags; then the response: status, freshness, fields, chunk lengths) and a fixed footer follow. The footer
/// holds the meta's length, a CRC-32C of the meta and one of the body, and a magic number: a start-up scan reads the
/// file's tail only, and a file that was cut short or changed fails a check (a miss, removed, counted).
enum EntryFile {
    static let magic: UInt64 = 0x3145_5349_5250_4552  // "REPRISE1", little-endian
    static let version: UInt8 = 2
    /// metaLength u32, metaCRC u32, bodyCRC u32, reserved u32, magic u64.
    static let footerLength = 24
    /// What a start-up scan reads from a file's end: the footer and, in nearly every file, the whole meta.
    static let tailRead = 16 << 10

    struct Footer: Equatable {
        var metaLength: Int
        var metaCRC: UInt32
        var bodyCRC: UInt32
    }

    /// What the index keeps of an entry, read first.
    struct IndexPart {
        var sequence: UInt64
        var evictAt: Double
        var traits: EntryTraits
        var bodyLength: Int
        var key: String
        var target: String
        var partition: String
        var keyID: String
        var vary: VaryKey
        var tags: [String]
    }

    /// The response itself, read on a hit.
    struct ResponsePart {
        var status: Int
        var chunked: Bool
        /// What the generation cost upstream, in its rule's units.
        var savedCost: Int
        var freshness: Freshness
        var headers: HTTPHeaders
        /// Chunk lengths of a replay that keeps its boundaries; empty otherwise.
        var partLengths: [Int]
    }

    // MARK: - Writing

    static func meta(for entry: CachedResponse, sequence: UInt64, traits: EntryTraits) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeInteger(Self.version)
        out.writeInteger(sequence)
        out.writeInteger(entry.evictAt.bitPattern)
        out.writeInteger(traits.cost.bitPattern)
        out.writeInteger(UInt32(clamping: traits.frequency))
        out.writeInteger(UInt64(entry.bodyLength))
        for text in [entry.key, entry.target, entry.partition, entry.keyID] { out.writeLengthPrefixedText(text) }
        out.writeInteger(UInt16(entry.vary.entries.count))
        for item in entry.vary.entries {
            out.writeLengthPrefixedText(item.name)
            out.writeInteger(UInt8(item.value == nil ? 0 : 1))
            out.writeLengthPrefixedText(item.value ?? "")
        }
        out.writeInteger(UInt16(entry.tags.count))
        for tag in entry.tags { out.writeLengthPrefixedText(tag) }
        // The response.
        out.writeInteger(UInt16(entry.status))
        out.writeInteger(UInt8(entry.chunked ? 1 : 0))
        out.writeInteger(Int64(entry.savedCost))
        let freshness = entry.freshness
        out.writeInteger(freshness.lifetime.bitPattern)
        out.writeLengthPrefixedText(freshness.source.rawValue)
        out.writeInteger(freshness.correctedInitialAge.bitPattern)
        out.writeInteger(freshness.responseTime.bitPattern)
        let headers = entry.headers
        out.writeInteger(UInt16(headers.count))
        for (name, value) in headers {
            out.writeLengthPrefixedText(name)
            out.writeLengthPrefixedText(value)
        }
        let parts = entry.chunked && entry.isInMemory ? entry.body : []
        out.writeInteger(UInt32(parts.count))
        for part in parts { out.writeInteger(UInt32(part.readableBytes)) }
        return out
    }

    static func footer(metaLength: Int, metaCRC: UInt32, bodyCRC: UInt32) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeInteger(UInt32(metaLength), endianness: .little)
        out.writeInteger(metaCRC, endianness: .little)
        out.writeInteger(bodyCRC, endianness: .little)
        out.writeInteger(UInt32(0), endianness: .little)
        out.writeInteger(Self.magic, endianness: .little)
        return out
    }

    // MARK: - Reading

    static func footer(from bytes: ByteBuffer) -> Footer? {
        var input = bytes
        guard input.readableBytes == Self.footerLength,
            let metaLength = input.readInteger(endianness: .little, as: UInt32.self),
            let metaCRC = input.readInteger(endianness: .little, as: UInt32.self),
            let bodyCRC = input.readInteger(endianness: .little, as: UInt32.self),
            input.readInteger(endianness: .little, as: UInt32.self) != nil,
            input.readInteger(endianness: .little, as: UInt64.self) == Self.magic
        else { return nil }
        return Footer(metaLength: Int(metaLength), metaCRC: metaCRC, bodyCRC: bodyCRC)
    }

    /// The index part of a meta block; `input` is left at the response part.
    static func indexPart(_ input: inout ByteBuffer) -> IndexPart? {
        guard input.readInteger(as: UInt8.self) == Self.version, let sequence = input.readInteger(as: UInt64.self),
            let evictAt = input.readInteger(as: UInt64.self), let cost = input.readInteger(as: UInt64.self),
            let frequency = input.readInteger(as: UInt32.self), let bodyLength = input.readInteger(as: UInt64.self),
            let key = input.readLengthPrefixedText(), let target = input.readLengthPrefixedText(), let partition = input.readLengthPrefixedText(),
            let keyID = input.readLengthPrefixedText(), let varyCount = input.readInteger(as: UInt16.self)
        else { return nil }
        var vary: [VaryKey.Entry] = []
        for _ in 0..<varyCount {
            guard let name = input.readLengthPrefixedText(), let hasValue = input.readInteger(as: UInt8.self), let value = input.readLengthPrefixedText()
            else { return nil }
            vary.append(VaryKey.Entry(name: name, value: hasValue == 1 ? value : nil))
        }
        guard let tagCount = input.readInteger(as: UInt16.self) else { return nil }
        var tags: [String] = []
        for _ in 0..<tagCount {
            guard let tag = input.readLengthPrefixedText() else { return nil }
            tags.append(tag)
        }
        return IndexPart(
            sequence: sequence,
            evictAt: Double(bitPattern: evictAt),
            traits: EntryTraits(cost: Double(bitPattern: cost), frequency: Int(frequency)),
            bodyLength: Int(bodyLength),
            key: key,
            target: target,
            partition: partition,
            keyID: keyID,
            vary: VaryKey(storedEntries: vary),
            tags: tags
        )
    }

    /// The response part, read after `indexPart`; nil unless it ends the block exactly.
    static func responsePart(_ input: inout ByteBuffer) -> ResponsePart? {
        guard let status = input.readInteger(as: UInt16.self), let chunked = input.readInteger(as: UInt8.self),
            let savedCost = input.readInteger(as: Int64.self), let lifetime = input.readInteger(as: UInt64.self), let sourceText = input.readLengthPrefixedText(),
            let source = Freshness.Source(rawValue: sourceText), let initialAge = input.readInteger(as: UInt64.self),
            let responseTime = input.readInteger(as: UInt64.self), let headerCount = input.readInteger(as: UInt16.self)
        else { return nil }
        var headers = HTTPHeaders()
        for _ in 0..<headerCount {
            guard let name = input.readLengthPrefixedText(), let value = input.readLengthPrefixedText() else { return nil }
            headers.add(name: name, value: value)
        }
        guard let partCount = input.readInteger(as: UInt32.self), Int(partCount) <= input.readableBytes / 4 else { return nil }
        var parts: [Int] = []
        for _ in 0..<partCount {
            guard let length = input.readInteger(as: UInt32.self) else { return nil }
            parts.append(Int(length))
        }
        guard input.readableBytes == 0 else { return nil }
        return ResponsePart(
            status: Int(status),
            chunked: chunked == 1,
            savedCost: Int(savedCost),
            freshness: Freshness(
                lifetime: Double(bitPattern: lifetime),
                source: source,
                correctedInitialAge: Double(bitPattern: initialAge),
                responseTime: Double(bitPattern: responseTime)
            ),
            headers: headers,
            partLengths: parts
        )
    }

    static func checksum(_ buffer: ByteBuffer, continuing crc: UInt32 = 0) -> UInt32 {
        buffer.withUnsafeReadableBytes { reprise_crc32c(crc, $0.baseAddress, $0.count) }
    }
}
