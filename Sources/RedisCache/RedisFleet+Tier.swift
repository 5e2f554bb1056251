import CacheStore
import NIOCore

/// The fleet's Redis as the tier below disk: shared by every instance, so a purge another instance sent has reached
/// it already, and its own purges fan out to the others (`invalidate`).
extension RedisFleet: CacheTier {
    public var name: String { "l2" }
    public var maxObject: Int { self.l2.maxObject }
    public var isShared: Bool { true }

    public func lookup(_ request: TierRequest, on eventLoop: EventLoop) -> TierLookupResult {
        .later(
            TierLookupLater { answer in
                self.lookup(key: request.key) { found in
                    guard let (entry, traits) = found else { return answer(.miss) }
                    // One value per key holds the latest variant; an expired one waits for Redis's own expiry.
                    guard entry.vary.matches(request.headers) else { return answer(.varyMiss) }
                    guard entry.evictAt > request.now else { return answer(.miss) }
                    answer(.hit(entry, traits))
                }
            }
        )
    }

    public func commitToken() -> Int? { self.fetchSequence }

    /// Writes `entry` to L2 if no purge ran in the fleet since `token` (the fleet's purge sequence when the fetch
    /// began). When purges did run (the sequence moved), the write is tried once more at the new sequence once this
    /// instance has caught up with every one of them (it has them all in its journal; their announcements may still be
    /// on their way, so it waits for them up to the purge acknowledgement timeout) and none of them selects the entry
    /// (`stillWanted`): an unrelated write elsewhere in the fleet does not keep a generation out of L2.
    @discardableResult
    public func store(
        _ entry: CachedResponse,
        traits: EntryTraits,
        token: Int?,
        now: Double,
        stillWanted: @escaping @Sendable () -> Bool
    ) -> EventLoopFuture<Bool>? {
        guard let token else {
            return self.store(entry, traits: traits, fetchSequence: nil, now: now).map { $0 == .stored }
        }
        return self.put(entry, traits: traits, sequence: token, now: now, retries: Self.putRetries, stillWanted: stillWanted)
            .map { $0 == .stored }
    }

    /// Retries of a write refused because the fleet's purge sequence moved during the fetch. The sequence is
    /// fleet-wide and moves with every purge anywhere; purges that reach one other path (each Kling task submission's
    /// RFC 9111 §4.4 invalidation of its own URI) no longer refuse a write (`L2Store`'s purge log), but a broad one
    /// (a tag, a prefix) does, and one retry was often refused again by the next (bench/book.sh: about a third of the
    /// writes never reached L2, and the other instances paid for those generations again).
    static let putRetries = 4

    /// Writes at `sequence`; when a purge moved it meanwhile, waits until this instance holds every purge up to the
    /// new number in its journal and, if none of them selects the entry (`stillWanted`), writes again at that number.
    private func put(
        _ entry: CachedResponse,
        traits: EntryTraits,
        sequence: Int,
        now: Double,
        retries: Int,
        stillWanted: @escaping @Sendable () -> Bool
    ) -> EventLoopFuture<L2Store.PutResult> {
        self.store(entry, traits: traits, fetchSequence: sequence, now: now).flatMap { result in
            guard case .purgedMeanwhile(let current) = result, retries > 0 else {
                return self.l2.redisEventLoop.makeSucceededFuture(result)
            }
            return self.waitForSequence(atLeast: current, timeout: self.options.ackTimeout).flatMap { caughtUp in
                guard caughtUp, let known = self.fetchSequence, known >= current, stillWanted() else {
                    return self.l2.redisEventLoop.makeSucceededFuture(result)
                }
                return self.put(entry, traits: traits, sequence: known, now: now, retries: retries - 1, stillWanted: stillWanted)
            }
        }
    }

    public func purge(_ purges: [(purge: Purge, selector: PurgeSelector?)]) -> TierPurgeResult {
        .pending(
            self.invalidate(purges.map(\.purge)).map { outcome in
                let fleet: String
                switch outcome.publish {
                case .acknowledged(let peers): fleet = "{\"acknowledged\":\(peers)}"
                case .timedOut(let missing): fleet = "{\"timed_out\":\(missing)}"
                case .notPublished: fleet = "{\"not_published\":\"Redis unreachable: replayed on reconnect\"}"
                }
                return TierPurgeReport(dropped: outcome.droppedInL2, detailJSON: fleet)
            }
        )
    }

    public var statistics: TierStatistics {
        let counters = self.status.counters
        return TierStatistics(budget: 0, hits: counters.l2Hits, misses: counters.l2Misses)
    }

    /// What Redis holds, for `/metrics`: keys in the database (entries plus their index keys), memory used, its
    /// `maxmemory` (0 = unbounded) and keys it evicted. Nil when Redis does not answer.
    public struct TierReading: Sendable, Equatable {
        public var keys: Int
        public var bytes: Int
        public var budget: Int
        public var evictions: Int
    }

    public func tierReading() -> EventLoopFuture<TierReading?> {
        self.connection.pipeline([.command("INFO", "memory"), .command("INFO", "stats"), .command("DBSIZE")]).map { replies in
            guard replies.count == 3, let memory = replies[0].string, let stats = replies[1].string, let keys = replies[2].int else {
                return nil
            }
            func field(_ name: String, in text: String) -> Int {
                for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(name + ":") {
                    return Int(line.dropFirst(name.count + 1)) ?? 0
                }
                return 0
            }
            return TierReading(
                keys: keys,
                bytes: field("used_memory", in: memory),
                budget: field("maxmemory", in: memory),
                evictions: field("evicted_keys", in: stats)
            )
        }.recover { _ in nil }
    }
}
