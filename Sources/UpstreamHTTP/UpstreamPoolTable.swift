import NIOConcurrencyHelpers
import NIOCore

/// Finds the pool of an event loop.
///
/// The loops of the client's group get their pools at init, in a dictionary that is never mutated
/// afterwards, so the lookup on every call takes no lock. A loop outside the group (allowed, though
/// unusual) gets a pool lazily, in a locked table.
struct UpstreamPoolTable: Sendable {
    typealias Box = NIOLoopBoundBox<UpstreamConnectionPool>

    private struct Extra {
        var pools: [ObjectIdentifier: Box] = [:]
        var isShutdown = false
    }

    private let idleTimeout: TimeAmount
    private let maxIdle: Int
    private let fixed: [ObjectIdentifier: Box]
    private let extra = NIOLockedValueBox(Extra())

    init(group: EventLoopGroup, idleTimeout: TimeAmount, maxIdle: Int) {
        self.idleTimeout = idleTimeout
        self.maxIdle = maxIdle
        var fixed: [ObjectIdentifier: Box] = [:]
        for loop in group.makeIterator() {
            // The box holds the loop strongly, so its ObjectIdentifier cannot be reused by another loop.
            let pool = UpstreamConnectionPool(eventLoop: loop, idleTimeout: idleTimeout, maxIdle: maxIdle)
            fixed[ObjectIdentifier(loop)] = Box.makeBoxSendingValue(pool, eventLoop: loop)
        }
        self.fixed = fixed
    }

    /// The pool of `eventLoop`; must be called on it.
    func pool(for eventLoop: EventLoop) -> UpstreamConnectionPool {
        let key = ObjectIdentifier(eventLoop)
        if let box = self.fixed[key] {
            return box.value
        }
        let (idleTimeout, maxIdle) = (self.idleTimeout, self.maxIdle)
        let box = self.extra.withLockedValue { extra in
            if let box = extra.pools[key] {
                return box
            }
            let pool = UpstreamConnectionPool(
                eventLoop: eventLoop,
                idleTimeout: idleTimeout,
                maxIdle: maxIdle,
                isShutdown: extra.isShutdown
            )
            let box = Box.makeBoxSendingValue(pool, eventLoop: eventLoop)
            extra.pools[key] = box
            return box
        }
        return box.value
    }

    /// Every pool, for shutdown; pools made after this call start shut down.
    func markShutdownAndListPools() -> [Box] {
        let extraBoxes = self.extra.withLockedValue { extra in
            extra.isShutdown = true
            return Array(extra.pools.values)
        }
        return Array(self.fixed.values) + extraBoxes
    }
}
