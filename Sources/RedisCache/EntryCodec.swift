import CacheStore
import NIOCore

/// The byte form of a `CachedResponse` in Redis (L2): versioned, length-prefixed, binary-safe. Version 3 holds the
/// entry's own encoded block and facts (`CachedResponse.writeEncoded`), so that a read is a bounds check and a copy,
/// not a parse of its fields (issue 18: decoding had been a seventh of an L2 hit's CPU), followed by the entry's
/// `EntryTraits` (what it costs to fetch again, how often it was used). It keeps what the generation cost
/// (`savedCost`), which may have come from the body; not the rule, nor the fields kept out of hits: the proxy reads
/// those from its rules. A value of another version is a miss, rewritten by the next store.
public enum EntryCodec {
    static let magic: UInt32 = 0x5250_4C32  // "RPL2"
    static let version: UInt8 = 3

    public static func encode(_ entry: CachedResponse, traits: EntryTraits = EntryTraits()) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(entry.bodyLength + entry.wireHeaders.readableBytes + 512)
        out.writeInteger(Self.magic)
        out.writeInteger(Self.version)
        entry.writeEncoded(into: &out)
        out.writeInteger(traits.cost.bitPattern)
        out.writeInteger(UInt32(clamping: traits.frequency))
        return out
    }

    /// The entry, or nil when the bytes are not a complete entry of this version (then it is treated as a miss).
    public static func decode(_ value: ByteBuffer) -> (entry: CachedResponse, traits: EntryTraits)? {
        var input = value
        guard input.readInteger(as: UInt32.self) == Self.magic, input.readInteger(as: UInt8.self) == Self.version,
            let entry = CachedResponse.readEncoded(from: &input), let cost = input.readInteger(as: UInt64.self),
            let frequency = input.readInteger(as: UInt32.self), input.readableBytes == 0
        else { return nil }
        return (entry, EntryTraits(cost: Double(bitPattern: cost), frequency: Int(frequency)))
    }
}
