import CacheStore
import NIOHTTP1
import ProxyConfig

/// What an entry cost upstream, decided by the proxy from its rules (not kept in the entry): the eviction policies
/// weigh it (`EntryTraits.cost`), and every hit adds it to the rule's `cost_saved`.
enum EntryCost {
    /// The rule's cost (`cost_header`: characters, tokens) when the upstream reported one, else how long the fetch
    /// took in milliseconds. The two units are not the same; README (Eviction) says why they are close enough here.
    static func traits(rule: RuleSettings?, responseHeaders: HTTPHeaders, fetchSeconds: Double) -> EntryTraits {
        if let units = Self.units(rule: rule, value: responseHeaders.first(name: rule?.costHeader ?? "")), units > 0 {
            return EntryTraits(cost: Double(units))
        }
        return EntryTraits(cost: max(1, fetchSeconds * 1000))
    }

    /// The traits of a stored entry whose fetch time is unknown (a 304 merge keeps what the entry cost).
    static func traits(rule: RuleSettings?, entry: CachedResponse, fetchSeconds: Double) -> EntryTraits {
        if let units = Self.savedCost(entry, rule: rule), units > 0 { return EntryTraits(cost: Double(units)) }
        return EntryTraits(cost: max(1, fetchSeconds * 1000))
    }

    /// The rule's cost of `entry`, read from its stored `cost_header` field; nil without one.
    static func savedCost(_ entry: CachedResponse, rule: RuleSettings?) -> Int? {
        guard let name = rule?.costHeader else { return nil }
        return Self.units(rule: rule, value: entry.field(name))
    }

    private static func units(rule: RuleSettings?, value: String?) -> Int? {
        guard rule?.costHeader != nil, let value else { return nil }
        return Int(value)
    }
}
