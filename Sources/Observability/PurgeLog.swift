import Synchronization

/// The last few purges (admin requests, write-invalidation, `[[purge]]` rules), for `/stats` and the dashboard.
///
/// Bounded: a ring of `capacity` records, the oldest overwritten first. `Sendable` because the ring lives in one
/// `Mutex` and nothing is awaited under it.
public final class PurgeLog: Sendable {
    public struct Record: Sendable, Equatable {
        /// Seconds since the Unix epoch (the proxy's clock).
        public var time: Double
        /// What asked for the purge, e.g. "POST /purge tags: video"; never a credential (callers pass paths
        /// without their query).
        public var cause: String
        public var dropped: Int
    }

    public static let defaultCapacity = 20
    /// Causes longer than this are cut and end with "…", so one huge purge body cannot grow `/stats`.
    public static let maxCauseLength = 160

    public let capacity: Int
    private let ring: Mutex<Ring>

    private struct Ring {
        var slots: [Record] = []
        /// Where the next record goes once `slots` is full.
        var next = 0
    }

    public init(capacity: Int = PurgeLog.defaultCapacity) {
        precondition(capacity > 0, "a purge log needs room for at least one record")
        self.capacity = capacity
        self.ring = Mutex(Ring())
    }

    public func record(cause: String, dropped: Int, now: Double) {
        let record = Record(time: now, cause: Self.bounded(cause), dropped: dropped)
        let capacity = self.capacity
        self.ring.withLock { ring in
            if ring.slots.count < capacity {
                ring.slots.append(record)
            } else {
                ring.slots[ring.next] = record
            }
            ring.next = (ring.next + 1) % capacity
        }
    }

    /// Newest first.
    public var recent: [Record] {
        let (slots, next) = self.ring.withLock { ($0.slots, $0.next) }
        guard slots.count == self.capacity else { return slots.reversed() }
        return (slots[next...] + slots[..<next]).reversed()
    }

    private static func bounded(_ cause: String) -> String {
        guard cause.count > Self.maxCauseLength else { return cause }
        return String(cause.prefix(Self.maxCauseLength - 1)) + "…"
    }
}
