import CacheStore
import HTTPCaching
import Observability
import ProxyConfig

/// Counting what each call on a costed rule (`cost_*`) cost: the per-rule tally (Prometheus, `/stats`) and the
/// ledger per credential partition (`GET /partitions`).
extension ProxyHandler {
    /// A call that went upstream and finished (phase miss, bypass or pass): billed `units` (nil: not known).
    func recordBilled(_ state: RequestState, units: Int?) {
        guard let rule = state.route.rule, rule.cost.isConfigured else { return }
        self.proxy.tally.recordBilled(rule: rule.name, units: units ?? 0)
        if let partition = state.plan?.partition {
            let phase = self.record?.phase ?? Self.forwardPhase(state.forward)
            self.proxy.ledger.record(partition: partition, phase: phase, units: units, price: rule.cost.price)
        }
    }

    /// A call answered without the upstream (`phase` hit, stale or coalesced): saved `units`.
    func recordSaved(_ cost: CostSettings?, phase: CachePhase, partition: String, units: Int?) {
        guard let cost, cost.isConfigured else { return }
        self.proxy.ledger.record(partition: partition, phase: phase, units: units, price: cost.price)
    }

    /// The phase of a request that goes upstream, by why it does.
    static func forwardPhase(_ forward: CacheStatus.ForwardReason) -> CachePhase {
        switch forward {
        case .method: return .pass
        case .bypass: return .bypass
        default: return .miss
        }
    }
}
