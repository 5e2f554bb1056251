import CacheStore
import HTTPCaching
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DiskTier {
    /// Reads the entry of `record` (on the tier's threads). A body up to `readIntoMemoryLimit` is read and checked
    /// every time; a larger one stays in its open file (sent with `sendfile`), its checksum verified on the first read
    /// of the file by this process, and the entry is kept open with its record for the next hits (`OpenEntry`). A
    /// file that fails a check is a miss, removed and counted.
    func read(_ record: DiskIndex<GDSFPolicy>.Record, key: String) -> TierLookup {
        let path = self.layout.file(for: record.sequence)
        var descriptor: CInt = -1
        var handedOver = false
        defer { if descriptor >= 0 && !handedOver { Syscalls.closeFile(descriptor) } }
        do throws(DiskError) {
            descriptor = try Syscalls.openFile(path, O_RDONLY)
            let (footer, meta, bodyLength) = try Self.readTail(descriptor)
            var input = meta
            guard let index = EntryFile.indexPart(&input), let response = EntryFile.responsePart(&input),
                index.bodyLength == bodyLength, index.sequence == record.sequence
            else { throw DiskError(kind: .corrupt("unreadable meta"), operation: "read") }
            // Two keys with one hash: not this request's entry.
            guard index.key == key else { return .miss }
            let info = StoredResponseInfo(status: response.status, responseHeaders: response.headers, freshness: response.freshness)
            let entry: CachedResponse
            if bodyLength <= self.options.readIntoMemoryLimit || !response.partLengths.isEmpty {
                let body = bodyLength == 0 ? ByteBuffer() : try Syscalls.readBytes(descriptor, at: 0, count: bodyLength)
                guard EntryFile.checksum(body) == footer.bodyCRC else {
                    throw DiskError(kind: .corrupt("body checksum"), operation: "read")
                }
                entry = CachedResponse(
                    key: index.key,
                    target: index.target,
                    partition: index.partition,
                    vary: index.vary,
                    status: response.status,
                    headers: response.headers,
                    body: Self.split(body, lengths: response.partLengths),
                    info: info,
                    tags: index.tags,
                    evictAt: index.evictAt,
                    chunked: response.chunked,
                    keepingParts: !response.partLengths.isEmpty,
                    savedCost: response.savedCost
                )
            } else {
                if !record.verified {
                    try Self.verifyBody(descriptor, length: bodyLength, checksum: footer.bodyCRC)
                    self.state.withLockedValue { $0.index.markVerified(sequence: record.sequence) }
                }
                handedOver = true
                entry = CachedResponse(
                    key: index.key,
                    target: index.target,
                    partition: index.partition,
                    vary: index.vary,
                    status: response.status,
                    headers: response.headers,
                    file: FileBody(descriptor: descriptor, offset: 0, length: bodyLength),
                    info: info,
                    tags: index.tags,
                    evictAt: index.evictAt,
                    chunked: response.chunked,
                    savedCost: response.savedCost
                )
                let open = OpenEntry(entry: entry, cost: index.traits.cost)
                self.state.withLockedValue { $0.index.attach(open, sequence: record.sequence) }
            }
            self.counters.hits.wrappingAdd(1, ordering: .relaxed)
            let frequency = self.state.withLockedValue { $0.index.frequency(sequence: record.sequence) }
            return .hit(entry, EntryTraits(cost: index.traits.cost, frequency: max(index.traits.frequency, frequency)))
        } catch {
            if error.isCorruption {
                self.discard(record.sequence)
                self.report(error, "a corrupt file was removed")
            } else if case .system(let code) = error.kind, code == ENOENT {
                // Removed meanwhile (evicted, purged): a plain miss.
                self.state.withLockedValue { _ = $0.index.remove(sequence: record.sequence) }
            } else {
                self.report(error, "a read failed (answered as a miss)")
            }
            self.counters.misses.wrappingAdd(1, ordering: .relaxed)
            return .miss
        }
    }

    /// The footer, the meta block (checked against its CRC) and the body's length, from a file's end.
    static func readTail(_ descriptor: CInt) throws(DiskError) -> (EntryFile.Footer, ByteBuffer, Int) {
        let size = try Syscalls.size(descriptor)
        guard size >= EntryFile.footerLength else { throw DiskError(kind: .truncated, operation: "read") }
        let tailLength = min(size, EntryFile.tailRead)
        let tail = try Syscalls.readBytes(descriptor, at: size - tailLength, count: tailLength)
        guard let footer = EntryFile.footer(from: tail.getSlice(at: tailLength - EntryFile.footerLength, length: EntryFile.footerLength)!),
            footer.metaLength + EntryFile.footerLength <= size
        else { throw DiskError(kind: .corrupt("no entry footer"), operation: "read") }
        let metaStart = size - EntryFile.footerLength - footer.metaLength
        let meta: ByteBuffer
        if footer.metaLength + EntryFile.footerLength <= tailLength {
            meta = tail.getSlice(at: tailLength - EntryFile.footerLength - footer.metaLength, length: footer.metaLength)!
        } else {
            meta = try Syscalls.readBytes(descriptor, at: metaStart, count: footer.metaLength)
        }
        guard EntryFile.checksum(meta) == footer.metaCRC else {
            throw DiskError(kind: .corrupt("meta checksum"), operation: "read")
        }
        return (footer, meta, metaStart)
    }

    /// Reads the body in pieces and checks its CRC.
    static func verifyBody(_ descriptor: CInt, length: Int, checksum: UInt32) throws(DiskError) {
        var crc: UInt32 = 0
        var offset = 0
        while offset < length {
            let piece = try Syscalls.readBytes(descriptor, at: offset, count: min(1 << 20, length - offset))
            crc = EntryFile.checksum(piece, continuing: crc)
            offset += piece.readableBytes
        }
        guard crc == checksum else { throw DiskError(kind: .corrupt("body checksum"), operation: "read") }
    }

    /// A body cut at its stored chunk boundaries (a replay that keeps them).
    static func split(_ body: ByteBuffer, lengths: [Int]) -> [ByteBuffer] {
        guard !lengths.isEmpty, lengths.reduce(0, +) == body.readableBytes else {
            return body.readableBytes == 0 ? [] : [body]
        }
        var rest = body
        return lengths.map { rest.readSlice(length: $0)! }
    }

    /// Drops a file from the index and removes it.
    func discard(_ sequence: UInt64) {
        self.state.withLockedValue { _ = $0.index.remove(sequence: sequence) }
        Syscalls.removeFile(self.layout.file(for: sequence))
    }
}
