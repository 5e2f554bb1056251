import NIOConcurrencyHelpers
import NIOCore

/// When a Redis command last failed (timed out, or found no connection). A request that just saw Redis fail does not
/// wait on it again: cross-instance coalescing falls back to this instance's own at once for `window` after a failure.
public final class RecentFailure: Sendable {
    public let window: TimeAmount
    private let last = NIOLockedValueBox<NIODeadline?>(nil)

    public init(window: TimeAmount = .seconds(1)) {
        self.window = window
    }

    func mark(now: NIODeadline = .now()) {
        self.last.withLockedValue { $0 = now }
    }

    /// Whether a command failed less than `window` ago.
    public func isRecent(now: NIODeadline = .now()) -> Bool {
        self.last.withLockedValue { last in last.map { now - $0 < self.window } ?? false }
    }
}
