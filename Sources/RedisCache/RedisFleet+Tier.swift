import CacheStore
import NIOCore

/// The fleet's Redis as the tier below disk: shared by every instance, so a purge another instance sent has reached
/// it already, and its own purges fan out to the others (`invalidate`).
extension RedisFleet: CacheTier {
    public var name: String { "l2" }
    public var maxObject: Int { self.l2.maxObject }
    public var isShared: Bool { true }

    public func lookup(_ request: TierRequest, on eventLoop: EventLoop) -> TierLookupResult {
        .pending(
            self.lookup(key: request.key).map { found -> TierLookup in
                guard let (entry, traits) = found else { return .miss }
                // One value per key holds the latest variant; an expired one waits for Redis's own expiry.
                guard entry.vary.matches(request.headers) else { return .varyMiss }
                guard entry.evictAt > request.now else { return .miss }
                return .hit(entry, traits)
            }
        )
    }

    public func commitToken() -> Int? { self.fetchSequence }

    public func store(_ entry: CachedResponse, traits: EntryTraits, token: Int?, now: Double) {
        self.store(entry, traits: traits, fetchSequence: token, now: now)
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
}
