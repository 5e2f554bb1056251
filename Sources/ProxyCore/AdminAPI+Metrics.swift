extension AdminAPI {
    /// GET /metrics: the Prometheus text exposition (format 0.0.4). Store statistics and per-rule savings are read
    /// now, at scrape time; request and purge counters were counted as they happened.
    func metrics() -> Reply {
        guard let observer = self.server.metricsObserver else {
            return Reply(status: .notFound, json: #"{"error":"metrics are off: no metrics observer is installed"}"#)
        }
        let contentType = "text/plain; version=0.0.4; charset=utf-8"
        let store = MetricsObserver.StoreReading(self.server.store)
        let savings = self.server.proxy.tally.snapshot
        guard let fleet = self.server.fleet else {
            return Reply(status: .ok, json: observer.exposition(store: store, savings: savings, clients: .init(self.server.proxy.counters)), contentType: contentType)
        }
        // Fleet mode: L2's size is read from Redis now (bounded by the command timeout; absent when Redis is down).
        let pending = fleet.tierReading().map { reading -> Reply in
            let l2 = reading.map { MetricsObserver.StoreReading(entries: $0.keys, bytes: $0.bytes, budget: $0.budget, evictions: $0.evictions) }
            let text = observer.exposition(store: store, savings: savings, fleet: fleet.status, l2: l2, clients: .init(self.server.proxy.counters))
            return Reply(status: .ok, json: text, contentType: contentType)
        }
        return Reply(status: .ok, json: "", contentType: contentType, pending: pending)
    }
}
