extension ProxyServer {
    /// The proxy's Prometheus observer, when metrics are on. Found among the observers, so that nothing else in
    /// the server has to keep it.
    var metricsObserver: MetricsObserver? {
        self.proxy.observers.lazy.compactMap { $0 as? MetricsObserver }.first
    }
}
