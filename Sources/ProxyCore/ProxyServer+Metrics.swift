extension ProxyServer {
    /// The proxy's Prometheus observer, when metrics are on.
    var metricsObserver: MetricsObserver? {
        self.proxy.metrics
    }
}
