/// The last `capacity` latencies (seconds), for percentiles in `/stats`. A value type kept under its owner's lock.
struct LatencyReservoir: Sendable {
    let capacity: Int
    private var values: [Double] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = capacity
        self.values.reserveCapacity(capacity)
    }

    mutating func record(_ seconds: Double) {
        if self.values.count < self.capacity {
            self.values.append(seconds)
        } else {
            self.values[self.next] = seconds
        }
        self.next = (self.next + 1) % self.capacity
    }

    /// Nearest-rank p50 and p99 of what is kept; nil when empty.
    var summary: (p50: Double, p99: Double, samples: Int)? {
        guard !self.values.isEmpty else { return nil }
        let sorted = self.values.sorted()
        func rank(_ p: Double) -> Double {
            sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
        }
        return (rank(0.5), rank(0.99), sorted.count)
    }
}
