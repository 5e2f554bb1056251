extension AdminAPI {
    /// GET / (the dashboard). Being written: the operations issue.
    func dashboard() -> Reply {
        Reply(status: .notImplemented, json: #"{"error":"the dashboard is not built yet"}"#)
    }

    /// GET /entries?prefix=&tag=&limit=&cursor=. Being written: the operations issue.
    func entries(query: String) -> Reply {
        Reply(status: .notImplemented, json: #"{"error":"entries listing is not built yet"}"#)
    }
}
