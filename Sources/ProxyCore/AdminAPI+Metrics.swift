extension AdminAPI {
    /// GET /metrics (Prometheus text format). Being written: the metrics issue.
    func metrics() -> Reply {
        Reply(status: .notImplemented, json: #"{"error":"metrics are not built yet"}"#)
    }
}
