import CacheStore
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DiskTier {
    /// Writes `entry` to a new file in the background, unless a purge that selects it ran since `token` (the tier's
    /// last purge when the fetch began) or too many bytes already wait to be written. Room in the budget is made first
    /// (evictions), so the files never exceed it.
    @discardableResult
    public func store(
        _ entry: CachedResponse,
        traits: EntryTraits,
        token: Int?,
        now: Double,
        stillWanted: @escaping @Sendable () -> Bool
    ) -> EventLoopFuture<Bool>? {
        // The disk tier checks its own purge sequence (`token`); it writes in the background and does not report.
        self.store(entry, traits: traits, token: token)
        return nil
    }

    /// Stores `entry` in the background unless a purge since `token` selects it, or the write queue is full.
    public func store(_ entry: CachedResponse, traits: EntryTraits, token: Int?) {
        guard entry.bodyLength <= self.options.maxObject, !self.stopping.load(ordering: .relaxed) else { return }
        let estimate = Self.blocks(entry.bodyLength + entry.wireHeaders.readableBytes + 1024)
        let claimed = self.state.withLockedValue { state -> (sequence: UInt64, evicted: [UInt64])? in
            if let token, state.purgedAfter(UInt64(truncatingIfNeeded: token), { $0.matches(entry) }) { return nil }
            guard state.pendingWriteBytes + entry.bodyLength <= self.options.maxPendingWriteBytes else { return nil }
            guard let sequence = try? state.sequence.take(layout: self.layout) else { return nil }
            let evicted = state.index.evict(toFit: state.reserved + estimate, budget: self.options.budget)
            state.inFlight.insert(sequence)
            state.reserved += estimate
            state.pendingWriteBytes += entry.bodyLength
            return (sequence, evicted)
        }
        guard let claimed else {
            self.counters.writesSkipped.wrappingAdd(1, ordering: .relaxed)
            return
        }
        self.removeFiles(claimed.evicted)
        self.pool.submit { _ in
            // Run even when the pool is stopping: a write that was promised finishes (shutdown waits for it).
            self.write(entry, traits: traits, sequence: claimed.sequence, estimate: estimate)
        }
    }

    /// Bytes in whole 4 KiB blocks.
    static func blocks(_ bytes: Int) -> Int {
        (bytes + 4095) & ~4095
    }

    private func write(_ entry: CachedResponse, traits: EntryTraits, sequence: UInt64, estimate: Int) {
        let temporary = self.layout.temporaryFile(for: sequence)
        let final = self.layout.file(for: sequence)
        var fileBytes = 0
        do throws(DiskError) {
            let descriptor = try Syscalls.openFile(temporary, O_WRONLY | O_CREAT | O_EXCL)
            do throws(DiskError) {
                var bodyCRC: UInt32 = 0
                if let file = entry.file {
                    bodyCRC = try Self.copy(from: file, to: descriptor)
                } else {
                    for part in entry.body {
                        try Syscalls.writeAll(descriptor, part)
                        bodyCRC = EntryFile.checksum(part, continuing: bodyCRC)
                    }
                }
                let meta = EntryFile.meta(for: entry, sequence: sequence, traits: traits)
                try Syscalls.writeAll(descriptor, meta)
                try Syscalls.writeAll(
                    descriptor,
                    EntryFile.footer(metaLength: meta.readableBytes, metaCRC: EntryFile.checksum(meta), bodyCRC: bodyCRC)
                )
                fileBytes = Self.blocks(entry.bodyLength + meta.readableBytes + EntryFile.footerLength)
                Syscalls.closeFile(descriptor)
            } catch {
                Syscalls.closeFile(descriptor)
                throw error
            }
            // Visible only now, complete.
            try Syscalls.renameFile(temporary, final)
        } catch {
            Syscalls.removeFile(temporary)
            self.report(error, "an entry was not written")
            self.state.withLockedValue { state in
                state.inFlight.remove(sequence)
                state.reserved -= estimate
                state.pendingWriteBytes -= entry.bodyLength
            }
            return
        }
        let part = EntryFile.IndexPart(entry: entry, sequence: sequence, traits: traits)
        let keyHash = DiskHashing.hash(part.key)
        let unwanted = self.state.withLockedValue { state -> [UInt64] in
            state.inFlight.remove(sequence)
            state.reserved -= estimate
            state.pendingWriteBytes -= entry.bodyLength
            // A purge that selects it ran while it was written: it must not appear.
            if state.purgedAfter(sequence, { $0.matches(entry) }) { return [sequence] }
            // Not `verified`: the first read checks the file as written (as it will after a restart).
            var unwanted = state.index.insert(part, fileBytes: fileBytes, verified: false, keyHash: keyHash)
            unwanted += state.index.evict(toFit: state.reserved, budget: self.options.budget)
            return unwanted
        }
        if unwanted.contains(sequence) {
            self.counters.writesSkipped.wrappingAdd(1, ordering: .relaxed)
        } else {
            self.counters.writes.wrappingAdd(1, ordering: .relaxed)
        }
        for unwanted in unwanted { Syscalls.removeFile(self.layout.file(for: unwanted)) }
    }

    /// Copies a body file into `descriptor` (a 304 merge of a disk-only entry); returns its CRC.
    private static func copy(from file: FileBody, to descriptor: CInt) throws(DiskError) -> UInt32 {
        var crc: UInt32 = 0
        var offset = 0
        while offset < file.length {
            let piece = try Syscalls.readBytes(file.descriptor, at: file.offset + offset, count: min(1 << 20, file.length - offset))
            try Syscalls.writeAll(descriptor, piece)
            crc = EntryFile.checksum(piece, continuing: crc)
            offset += piece.readableBytes
        }
        return crc
    }

    /// Removes files in the background.
    func removeFiles(_ sequences: [UInt64]) {
        guard !sequences.isEmpty else { return }
        self.pool.submit { _ in
            for sequence in sequences { Syscalls.removeFile(self.layout.file(for: sequence)) }
        }
    }
}

extension EntryFile.IndexPart {
    init(entry: CachedResponse, sequence: UInt64, traits: EntryTraits) {
        self.init(
            sequence: sequence,
            evictAt: entry.evictAt,
            traits: traits,
            bodyLength: entry.bodyLength,
            key: entry.key,
            target: entry.target,
            partition: entry.partition,
            keyID: entry.keyID,
            vary: entry.vary,
            tags: entry.tags
        )
    }

    /// Whether `selector` drops this entry.
    func matches(_ selector: PurgeSelector) -> Bool {
        selector.matches(
            partition: self.partition,
            target: { $0 == self.target },
            path: { self.target.pathWithoutQuery },
            tags: self.tags,
            keyID: self.keyID
        )
    }
}
