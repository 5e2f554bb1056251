extension AdminAPI {
    /// GET /metrics: the Prometheus text exposition (format 0.0.4). Store statistics and per-rule savings are read
    /// now, at scrape time; request and purge counters were counted as they happened.
    func metrics() -> Reply {
        guard let observer = self.server.metricsObserver else {
            return Reply(status: .notFound, json: #"{"error":"metrics are off: no metrics observer is installed"}"#)
        }
        let text = observer.exposition(store: .init(self.server.store), savings: self.server.proxy.tally.snapshot, fleet: self.server.fleet?.status)
        return Reply(status: .ok, json: text, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
