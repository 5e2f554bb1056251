extension AdminAPI {
    /// POST /reload. Being written: the operations issue.
    func reload() -> Reply {
        Reply(status: .notImplemented, json: #"{"error":"reload over the admin API is not built yet"}"#)
    }
}
