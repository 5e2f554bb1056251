import CacheStore

/// What it would cost to fetch an entry again, for eviction (`EntryTraits.cost`): the generation's units (characters,
/// tokens: what the rule's cost extraction read, `CachedResponse.savedCost`) when it has some, else how long the fetch
/// took in milliseconds. The two units are not the same; README (Eviction) says why they are close enough here.
enum EntryCost {
    static func traits(units: Int, fetchSeconds: Double) -> EntryTraits {
        if units > 0 { return EntryTraits(cost: Double(units)) }
        return EntryTraits(cost: max(1, fetchSeconds * 1000))
    }

    /// The traits of a stored entry refreshed by a 304 (the fetch time is the revalidation's).
    static func traits(of entry: CachedResponse, fetchSeconds: Double) -> EntryTraits {
        Self.traits(units: entry.savedCost, fetchSeconds: fetchSeconds)
    }
}
