import CacheStore
import NIOCore

extension DiskTier {
    /// Applies purges to the index at once (a lookup that starts after this returns cannot find what they select) and
    /// removes the files in the background. Each purge is journaled first, with one write, when it selected a file, or
    /// when a write in flight or a file the scan has not read yet could be selected: then it survives a crash, and a
    /// file it selects is not served after the restart even if its removal had not happened.
    public func purge(_ purges: [(purge: Purge, selector: PurgeSelector?)]) -> TierPurgeResult {
        guard !purges.isEmpty else { return .done(dropped: 0) }
        let (doomed, journaled) = self.state.withLockedValue { state -> ([UInt64], Bool) in
            var doomed: [UInt64] = []
            var records: [DiskJournal.Record] = []
            for (purge, selector) in purges {
                guard let sequence = try? state.sequence.take(layout: self.layout) else { continue }
                doomed += state.index.purge(selector)
                state.recordPurge(DiskState.PurgeRecord(sequence: sequence, selector: selector))
                records.append(DiskJournal.Record(sequence: sequence, purge: purge))
            }
            let needed = !doomed.isEmpty || state.loading || !state.inFlight.isEmpty
            guard needed else { return (doomed, false) }
            do throws(DiskError) {
                try self.journal.append(records)
                state.journalRecords += records
            } catch {
                self.report(error, "a purge was not journaled (it is applied; a crash before its files are removed may bring them back)")
            }
            if !doomed.isEmpty { state.pendingRemovals += 1 }
            return (doomed, true)
        }
        if journaled {
            self.pool.submit { _ in
                self.journal.sync()
                guard !doomed.isEmpty else { return }
                for sequence in doomed { Syscalls.removeFile(self.layout.file(for: sequence)) }
                self.state.withLockedValue { $0.pendingRemovals -= 1 }
                self.compactJournalIfDue()
            }
        }
        return .done(dropped: doomed.count)
    }

    /// Rewrites the journal without the purges every file already reflects, once it holds more than
    /// `journalCompactionLines` lines: kept are those a write in flight could still need (newer than its number), all
    /// of them while the scan runs or removals are pending.
    func compactJournalIfDue(force: Bool = false) {
        // Under the lock that purges append under: no line can be appended to the old file after the new one is made.
        self.state.withLockedValue { state in
            guard force || state.journalRecords.count > Self.journalCompactionLines, !state.loading,
                state.pendingRemovals == 0
            else { return }
            let oldestWrite = state.inFlight.min() ?? .max
            let keep = state.journalRecords.filter { $0.sequence > oldestWrite }
            do throws(DiskError) {
                try self.journal.rewrite(keeping: keep)
                state.journalRecords = keep
            } catch {
                self.report(error, "the purge journal was not compacted")
            }
        }
    }

    static let journalCompactionLines = 1000
}
