import CacheStore
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DiskTier {
    /// Rebuilds the index from the files, on every thread of the tier at once (each takes every n-th directory), and
    /// then lets lookups in. Reads each file's tail only (footer and meta, checked); a file that fails is removed and
    /// counted, an expired one removed, one a journaled purge selects removed, and of two files for one key and
    /// variant the older removed.
    func startLoading() {
        let started = ContinuousClock.now
        let threads = max(1, self.options.threads)
        let directories = self.layout.entryDirectories
        let remaining = NIOLockedValueBox(threads)
        let removed = NIOLockedValueBox(0)
        for worker in 0..<threads {
            self.pool.submit { _ in
                // The leftovers of writes a crash interrupted.
                if worker == 0 {
                    for name in Syscalls.names(in: self.layout.temporary) {
                        Syscalls.removeFile(self.layout.temporary + "/" + name)
                    }
                }
                var count = 0
                for (index, directory) in directories.enumerated() where index % threads == worker {
                    guard !self.stopping.load(ordering: .relaxed) else { break }
                    for name in Syscalls.names(in: directory) {
                        count += self.load(directory + "/" + name, name: name) ? 0 : 1
                    }
                }
                removed.withLockedValue { $0 += count }
                let last = remaining.withLockedValue { remaining -> Bool in
                    remaining -= 1
                    return remaining == 0
                }
                if last {
                    let elapsed = ContinuousClock.now - started
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    self.finishLoading(seconds: seconds, removed: removed.withLockedValue { $0 })
                }
            }
        }
    }

    /// Indexes one file; false when it was removed (or is not an entry).
    private func load(_ path: String, name: String) -> Bool {
        guard let sequence = DiskLayout.sequence(ofName: name) else {
            Syscalls.removeFile(path)
            return false
        }
        let first = self.state.withLockedValue { $0.firstSequence }
        // Written by this process while the scan runs: already in the index.
        guard sequence < first else { return true }
        let part: EntryFile.IndexPart
        let fileSize: Int
        do throws(DiskError) {
            let descriptor = try Syscalls.openFile(path, O_RDONLY)
            defer { Syscalls.closeFile(descriptor) }
            let (_, meta, bodyLength) = try Self.readTail(descriptor)
            var input = meta
            guard let read = EntryFile.indexPart(&input), read.sequence == sequence, read.bodyLength == bodyLength else {
                throw DiskError(kind: .corrupt("unreadable meta"), operation: "load")
            }
            part = read
            fileSize = try Syscalls.size(descriptor)
        } catch {
            if error.isCorruption {
                Syscalls.removeFile(path)
                self.report(error, "a corrupt file was removed at start")
                return false
            }
            if case .system(let code) = error.kind, code == ENOENT { return false }
            self.report(error, "a file could not be read at start (left in place)")
            return false
        }
        guard part.evictAt > self.clock() else {
            Syscalls.removeFile(path)
            return false
        }
        let keyHash = DiskHashing.hash(part.key)
        let unwanted = self.state.withLockedValue { state -> [UInt64] in
            // A purge journaled (or made since start) after this file was written selects it.
            for record in state.loadingPurges where record.sequence > sequence {
                guard let selector = record.selector else { return [sequence] }
                if part.matches(selector) { return [sequence] }
            }
            var unwanted = state.index.insert(part, fileBytes: Self.blocks(fileSize), verified: false, keyHash: keyHash)
            unwanted += state.index.evict(toFit: state.reserved, budget: self.options.budget)
            return unwanted
        }
        for unwanted in unwanted { Syscalls.removeFile(self.layout.file(for: unwanted)) }
        return !unwanted.contains(sequence)
    }

    private func finishLoading(seconds: Double, removed: Int) {
        let entries = self.state.withLockedValue { state -> Int in
            state.loading = false
            state.loadingPurges = []
            state.loadReport = LoadReport(entries: state.index.count, seconds: seconds, removed: removed)
            return state.index.count
        }
        // Every file on disk now reflects the journal's purges (those that selected one were removed above).
        self.compactJournalIfDue(force: true)
        self.logger.info(
            "disk tier ready",
            metadata: [
                "entries": "\(entries)", "seconds": "\(Double(Int(seconds * 1000)) / 1000)", "removed": "\(removed)",
                "path": "\(self.options.path)",
            ]
        )
    }
}
