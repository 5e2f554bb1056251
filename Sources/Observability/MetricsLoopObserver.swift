import NIOCore

/// One event loop's view of the `MetricsObserver`: the series its requests count into, found by their fast key
/// in a dictionary only this loop touches, so that a known label set costs no lock. Unknown keys (and records
/// without a fast key) go through the shared observer, which creates the series once for every loop.
///
/// `@unchecked Sendable`: `observe` is only called by connections of `eventLoop` (checked by
/// `assertInEventLoop` in debug builds), and the cache is touched nowhere else; `shared` is set once, by the
/// observer's initializer, before any connection can see this object.
public final class MetricsLoopObserver: RequestObserver, @unchecked Sendable {
    private let eventLoop: EventLoop
    /// Unowned: the shared observer owns its loop observers.
    private unowned var shared: MetricsObserver!
    private var cache: [Int: RequestSeries] = [:]

    public init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    public func attach(to shared: MetricsObserver) {
        self.shared = shared
    }

    public func observe(_ record: RequestRecord) {
        self.eventLoop.assertInEventLoop()
        guard let fastKey = MetricsObserver.fastKeyIfAny(record) else {
            return self.shared.observe(record)
        }
        if let series = self.cache[fastKey], MetricsObserver.fits(series, record) {
            return MetricsObserver.count(record, in: series)
        }
        let series = self.shared.series(for: record, fastKey: fastKey)
        self.cache[fastKey] = series
        MetricsObserver.count(record, in: series)
    }
}
