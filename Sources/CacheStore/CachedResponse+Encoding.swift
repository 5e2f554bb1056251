import HTTPCaching
import NIOCore

/// An entry as bytes, for a tier outside the process (Redis, L2): its own buffer as it is (key, target, encoded
/// fields, inline body), its layout and its facts. Reading it back is a bounds check and one copy, with no field
/// parsed and no header block rebuilt: an L2 hit had spent a seventh of its CPU rebuilding `HTTPHeaders`, the RFC 9111
/// facts and the field block from name/value pairs (issue 18).
///
/// The form is private to one build of Reprise and its readers: `EntryCodec` wraps it in a versioned envelope, and
/// anything that does not read back whole and consistent is nil (a miss), never a crash.
extension CachedResponse {
    /// Writes the entry. A body in a file (the disk tier's) is not written: such entries are never given to a tier
    /// outside the process.
    public func writeEncoded(into out: inout ByteBuffer) {
        out.writeLengthPrefixedText(self.partition)
        out.writeInteger(Int32(clamping: self.status))
        out.writeInteger(UInt16(clamping: self.vary.entries.count))
        for item in self.vary.entries.prefix(Int(UInt16.max)) {
            out.writeLengthPrefixedText(item.name)
            out.writeInteger(UInt8(item.value == nil ? 0 : 1))
            out.writeLengthPrefixedText(item.value ?? "")
        }
        out.writeInteger(self.freshness.lifetime.bitPattern)
        out.writeInteger(UInt8(Self.sources.firstIndex(of: self.freshness.source) ?? Self.sources.count - 1))
        out.writeInteger(self.freshness.correctedInitialAge.bitPattern)
        out.writeInteger(self.freshness.responseTime.bitPattern)
        let directives = self.directives.stored
        out.writeInteger(directives.flags)
        out.writeInteger(directives.sharedMaxAge)
        out.writeInteger(directives.staleWhileRevalidate)
        out.writeInteger(directives.staleIfError)
        out.writeInteger(self.evictAt.bitPattern)
        out.writeInteger(UInt16(clamping: self.tags.count))
        for tag in self.tags.prefix(Int(UInt16.max)) { out.writeLengthPrefixedText(tag) }
        out.writeInteger(UInt8(self.chunked ? 1 : 0))
        out.writeInteger(Int64(self.savedCost))
        out.writeInteger(UInt8(self.contentCoding == nil ? 0 : 1))
        out.writeLengthPrefixedText(self.contentCoding ?? "")
        out.writeInteger(self.keyIDValue)
        let layout = self.layout
        out.writeMultipleIntegers(layout.keyLength, layout.targetStart, layout.targetLength, layout.wireStart, layout.wireLength)
        out.writeMultipleIntegers(layout.cacheControlLength, layout.keptLength, layout.etagStart, layout.etagLength)
        out.writeMultipleIntegers(layout.lastModifiedStart, layout.lastModifiedLength)
        // The block and, for a body kept in parts, the parts (nil parts: the body is the block's end).
        out.writeInteger(UInt32(self.storage.readableBytes))
        out.writeImmutableBuffer(self.storage)
        if let parts = self.parts {
            out.writeInteger(UInt8(1))
            out.writeInteger(UInt32(parts.count))
            for part in parts {
                out.writeInteger(UInt32(part.readableBytes))
                out.writeImmutableBuffer(part)
            }
        } else {
            out.writeInteger(UInt8(0))
        }
    }

    /// Reads an entry written by `writeEncoded`, consuming it; nil when the bytes are not one whole, consistent entry.
    /// The block is copied into a buffer of its own (an entry never pins the buffer it was read from).
    public static func readEncoded(from input: inout ByteBuffer) -> CachedResponse? {
        guard let partition = input.readLengthPrefixedText(), let status = input.readInteger(as: Int32.self),
            (100...999).contains(status), let varyCount = input.readInteger(as: UInt16.self)
        else { return nil }
        var varyEntries: [VaryKey.Entry] = []
        for _ in 0..<varyCount {
            guard let name = input.readLengthPrefixedText(), let hasValue = input.readInteger(as: UInt8.self),
                let value = input.readLengthPrefixedText()
            else { return nil }
            varyEntries.append(VaryKey.Entry(name: name, value: hasValue == 1 ? value : nil))
        }
        guard let lifetime = input.readInteger(as: UInt64.self), let sourceIndex = input.readInteger(as: UInt8.self),
            Int(sourceIndex) < Self.sources.count, let initialAge = input.readInteger(as: UInt64.self),
            let responseTime = input.readInteger(as: UInt64.self), let flags = input.readInteger(as: UInt8.self),
            let sharedMaxAge = input.readInteger(as: Int32.self), let staleWhileRevalidate = input.readInteger(as: Int32.self),
            let staleIfError = input.readInteger(as: Int32.self), let evictAt = input.readInteger(as: UInt64.self),
            let tagCount = input.readInteger(as: UInt16.self)
        else { return nil }
        var tags: [String] = []
        for _ in 0..<tagCount {
            guard let tag = input.readLengthPrefixedText() else { return nil }
            tags.append(tag)
        }
        guard let chunked = input.readInteger(as: UInt8.self), let savedCost = input.readInteger(as: Int64.self),
            let hasCoding = input.readInteger(as: UInt8.self), let coding = input.readLengthPrefixedText(),
            let keyID = input.readInteger(as: UInt64.self)
        else { return nil }
        guard let (keyLength, targetStart, targetLength, wireStart, wireLength) = input.readMultipleIntegers(
                as: (UInt32, UInt32, UInt32, UInt32, UInt32).self),
            let (cacheControlLength, keptLength, etagStart, etagLength) = input.readMultipleIntegers(
                as: (UInt32, UInt32, UInt32, UInt32).self),
            let (lastModifiedStart, lastModifiedLength) = input.readMultipleIntegers(as: (UInt32, UInt32).self)
        else { return nil }
        let layout = Layout(
            keyLength: keyLength, targetStart: targetStart, targetLength: targetLength, wireStart: wireStart,
            wireLength: wireLength, cacheControlLength: cacheControlLength, keptLength: keptLength, etagStart: etagStart,
            etagLength: etagLength, lastModifiedStart: lastModifiedStart, lastModifiedLength: lastModifiedLength
        )
        guard let storageLength = input.readInteger(as: UInt32.self), let block = input.readSlice(length: Int(storageLength)),
            Self.fits(layout, in: block.readableBytes), let hasParts = input.readInteger(as: UInt8.self), hasParts <= 1
        else { return nil }
        let bodyStart = Int(layout.wireStart) + Int(layout.wireLength) + Int(layout.cacheControlLength) + Int(layout.keptLength)
        var parts: [ByteBuffer]?
        var partsBytes = 0
        var bodyLength = block.readableBytes - bodyStart
        if hasParts == 1 {
            guard bodyLength == 0, let count = input.readInteger(as: UInt32.self), count <= input.readableBytes / 4 else { return nil }
            var given: [ByteBuffer] = []
            given.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let length = input.readInteger(as: UInt32.self), let part = input.readSlice(length: Int(length)) else { return nil }
                given.append(part)
            }
            (parts, partsBytes) = Self.segmented(given, keepingBoundaries: chunked == 1)
            bodyLength = given.reduce(0) { $0 + $1.readableBytes }
        }
        var storage = ExactBuffer.make(capacity: block.readableBytes)
        storage.writeImmutableBuffer(block)
        return CachedResponse(
            storage: storage,
            layout: layout,
            parts: parts,
            partsBytes: partsBytes,
            file: nil,
            partition: partition,
            vary: VaryKey(storedEntries: varyEntries),
            status: Int(status),
            bodyLength: bodyLength,
            freshness: Freshness(
                lifetime: Double(bitPattern: lifetime),
                source: Self.sources[Int(sourceIndex)],
                correctedInitialAge: Double(bitPattern: initialAge),
                responseTime: Double(bitPattern: responseTime)
            ),
            directives: StoredDirectives(
                flags: flags,
                sharedMaxAge: sharedMaxAge,
                staleWhileRevalidate: staleWhileRevalidate,
                staleIfError: staleIfError
            ),
            tags: tags,
            evictAt: Double(bitPattern: evictAt),
            chunked: chunked == 1,
            savedCost: Int(savedCost),
            contentCoding: hasCoding == 1 ? coding : nil,
            keyIDValue: keyID
        )
    }

    /// Freshness sources by their number in the encoded form (append only).
    private static let sources: [Freshness.Source] = [.sharedMaxAge, .maxAge, .expires, .heuristic, .rule, .none]

    /// Whether every range of `layout` lies in a block of `length` bytes, the field runs one after the other.
    private static func fits(_ layout: Layout, in length: Int) -> Bool {
        func inside(_ start: UInt32, _ count: UInt32) -> Bool { Int(start) + Int(count) <= length }
        let fieldsEnd = Int(layout.wireStart) + Int(layout.wireLength) + Int(layout.cacheControlLength) + Int(layout.keptLength)
        return inside(0, layout.keyLength) && inside(layout.targetStart, layout.targetLength)
            && layout.wireStart >= layout.keyLength && fieldsEnd <= length
            && inside(layout.etagStart, layout.etagLength) && inside(layout.lastModifiedStart, layout.lastModifiedLength)
    }
}
