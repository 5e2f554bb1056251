import CacheStore
import ProxyConfig

/// Counting what each call on a costed rule (`cost_*`) cost: the per-rule tally (Prometheus, `/stats`) and the
/// ledger per credential partition (`GET /partitions`).
extension ProxyHandler {
    /// A call that went upstream and finished: billed `units` (nil: not known).
    func recordBilled(_ state: RequestState, units: Int?) {
        guard let rule = state.route.rule, rule.cost.isConfigured else { return }
        self.proxy.tally.recordBilled(rule: rule.name, units: units ?? 0)
        if let partition = state.plan?.partition {
            self.proxy.ledger.record(partition: partition, billed: true, units: units, price: rule.cost.price)
        }
    }

    /// A call answered without the upstream (from `entry`, or from another request's fetch): saved `units`.
    func recordSaved(_ cost: CostSettings?, partition: String, units: Int?) {
        guard let cost, cost.isConfigured else { return }
        self.proxy.ledger.record(partition: partition, billed: false, units: units, price: cost.price)
    }
}
