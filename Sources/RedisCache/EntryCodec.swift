import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1

/// The byte form of a `CachedResponse` in Redis (L2): versioned, length-prefixed, binary-safe. Decoding rebuilds the
/// RFC 9111 facts from the stored fields, so that every instance reads the same entry the same way. Version 2 keeps
/// the entry's `EntryTraits` (what it costs to fetch again, how often it was used) and no longer the rule, the cost
/// header's value or the fields kept out of hits: the proxy reads those from its rules. It keeps
/// what the generation cost (`savedCost`), which may have come from the body.
public enum EntryCodec {
    static let magic: UInt32 = 0x5250_4C32  // "RPL2"
    static let version: UInt8 = 2

    public static func encode(_ entry: CachedResponse, traits: EntryTraits = EntryTraits()) -> ByteBuffer {
        let headers = entry.headers
        var out = ByteBuffer()
        out.reserveCapacity(entry.bodyLength + entry.wireHeaders.readableBytes + 512)
        out.writeInteger(Self.magic)
        out.writeInteger(Self.version)
        for text in [entry.key, entry.target, entry.partition] { out.writeText(text) }
        out.writeInteger(Int32(entry.status))
        out.writeInteger(UInt16(entry.vary.entries.count))
        for item in entry.vary.entries {
            out.writeText(item.name)
            out.writeInteger(UInt8(item.value == nil ? 0 : 1))
            out.writeText(item.value ?? "")
        }
        out.writeInteger(UInt16(headers.count))
        for (name, value) in headers {
            out.writeText(name)
            out.writeText(value)
        }
        let freshness = entry.freshness
        out.writeInteger(freshness.lifetime.bitPattern)
        out.writeText(freshness.source.rawValue)
        out.writeInteger(freshness.correctedInitialAge.bitPattern)
        out.writeInteger(freshness.responseTime.bitPattern)
        out.writeInteger(entry.evictAt.bitPattern)
        out.writeInteger(UInt16(entry.tags.count))
        for tag in entry.tags { out.writeText(tag) }
        out.writeInteger(traits.cost.bitPattern)
        out.writeInteger(UInt32(clamping: traits.frequency))
        out.writeInteger(UInt8(entry.chunked ? 1 : 0))
        out.writeInteger(Int64(entry.savedCost))
        out.writeInteger(UInt32(entry.body.count))
        for part in entry.body {
            out.writeInteger(UInt32(part.readableBytes))
            out.writeImmutableBuffer(part)
        }
        return out
    }

    /// The entry, or nil when the bytes are not a complete entry of this version (then it is treated as a miss).
    public static func decode(_ value: ByteBuffer) -> (entry: CachedResponse, traits: EntryTraits)? {
        var input = value
        guard input.readInteger(as: UInt32.self) == Self.magic, input.readInteger(as: UInt8.self) == Self.version,
            let key = input.readText(), let target = input.readText(), let partition = input.readText(),
            let status = input.readInteger(as: Int32.self), let varyCount = input.readInteger(as: UInt16.self)
        else { return nil }
        var varyEntries: [VaryKey.Entry] = []
        for _ in 0..<varyCount {
            guard let name = input.readText(), let hasValue = input.readInteger(as: UInt8.self), let value = input.readText()
            else { return nil }
            varyEntries.append(VaryKey.Entry(name: name, value: hasValue == 1 ? value : nil))
        }
        guard let headerCount = input.readInteger(as: UInt16.self) else { return nil }
        var headers = HTTPHeaders()
        for _ in 0..<headerCount {
            guard let name = input.readText(), let value = input.readText() else { return nil }
            headers.add(name: name, value: value)
        }
        guard let lifetime = input.readInteger(as: UInt64.self), let sourceText = input.readText(),
            let source = Freshness.Source(rawValue: sourceText), let initialAge = input.readInteger(as: UInt64.self),
            let responseTime = input.readInteger(as: UInt64.self), let evictAt = input.readInteger(as: UInt64.self),
            let tagCount = input.readInteger(as: UInt16.self)
        else { return nil }
        var tags: [String] = []
        for _ in 0..<tagCount {
            guard let tag = input.readText() else { return nil }
            tags.append(tag)
        }
        guard let cost = input.readInteger(as: UInt64.self), let frequency = input.readInteger(as: UInt32.self),
            let chunked = input.readInteger(as: UInt8.self), let savedCost = input.readInteger(as: Int64.self),
            let partCount = input.readInteger(as: UInt32.self), partCount <= input.readableBytes / 4 + 1
        else { return nil }
        var body: [ByteBuffer] = []
        body.reserveCapacity(Int(partCount))
        for _ in 0..<partCount {
            guard let length = input.readInteger(as: UInt32.self), let part = input.readSlice(length: Int(length)) else { return nil }
            body.append(part)
        }
        guard input.readableBytes == 0 else { return nil }
        let freshness = Freshness(
            lifetime: Double(bitPattern: lifetime),
            source: source,
            correctedInitialAge: Double(bitPattern: initialAge),
            responseTime: Double(bitPattern: responseTime)
        )
        let entry = CachedResponse(
            key: key,
            target: target,
            partition: partition,
            vary: VaryKey(storedEntries: varyEntries),
            status: Int(status),
            headers: headers,
            body: body,
            info: StoredResponseInfo(status: Int(status), responseHeaders: headers, freshness: freshness),
            tags: tags,
            evictAt: Double(bitPattern: evictAt),
            chunked: chunked == 1,
            keepingParts: chunked == 1,
            savedCost: Int(savedCost)
        )
        return (entry, EntryTraits(cost: Double(bitPattern: cost), frequency: Int(frequency)))
    }
}

extension ByteBuffer {
    fileprivate mutating func writeText(_ text: String) {
        let length = self.writerIndex
        self.writeInteger(UInt32(0))
        let written = self.writeString(text)
        self.setInteger(UInt32(written), at: length)
    }

    fileprivate mutating func readText() -> String? {
        guard let length = self.readInteger(as: UInt32.self), Int(length) <= self.readableBytes else { return nil }
        return self.readString(length: Int(length))
    }
}
