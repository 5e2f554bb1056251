import ProxyCore

extension AdminAPI {
    /// GET /metrics: the Prometheus text exposition (format 0.0.4). Store statistics and per-rule savings are read
    /// now, at scrape time; request and purge counters were counted as they happened.
    func metrics() -> Reply {
        guard let exposition = self.server.metricsExposition() else {
            return Reply(status: .notFound, json: #"{"error":"metrics are off: no metrics observer is installed"}"#)
        }
        let contentType = "text/plain; version=0.0.4; charset=utf-8"
        let pending = exposition.map { Reply(status: .ok, json: $0, contentType: contentType) }
        return Reply(status: .ok, json: "", contentType: contentType, pending: pending)
    }
}
