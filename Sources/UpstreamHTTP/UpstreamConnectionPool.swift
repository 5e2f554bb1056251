import NIOCore

/// The idle keep-alive connections of one event loop.
///
/// Loop-confined (reached only through a `NIOLoopBoundBox` or from its connections, which live on the
/// same loop), so it needs no lock. LIFO: the most recently used connection is the least likely to
/// have been closed by the origin, and the others age out through `idleTimeout`.
final class UpstreamConnectionPool {
    let eventLoop: EventLoop
    let idleTimeout: TimeAmount
    let maxIdle: Int
    /// Set by ``UpstreamClient/shutdown()``: calls fail fast and released connections are closed.
    private(set) var isShutdown: Bool
    private var idle: [UpstreamConnection] = []

    init(eventLoop: EventLoop, idleTimeout: TimeAmount, maxIdle: Int, isShutdown: Bool = false) {
        self.eventLoop = eventLoop
        self.idleTimeout = idleTimeout
        self.maxIdle = maxIdle
        self.isShutdown = isShutdown
    }

    var idleCount: Int {
        self.idle.count
    }

    /// The most recently parked connection that is still usable, if any.
    func take() -> UpstreamConnection? {
        while let connection = self.idle.popLast() {
            connection.leavePool()
            if connection.isUsable {
                return connection
            }
            connection.close()
        }
        return nil
    }

    /// Keeps `connection` for reuse; false when it should be closed instead (full, or shut down).
    func park(_ connection: UpstreamConnection) -> Bool {
        guard !self.isShutdown, self.idle.count < self.maxIdle, connection.isUsable else {
            return false
        }
        self.idle.append(connection)
        connection.enterPool(idleTimeout: self.idleTimeout)
        return true
    }

    /// Forgets a connection that closed or timed out while idle.
    func remove(_ connection: UpstreamConnection) {
        if let index = self.idle.lastIndex(where: { $0 === connection }) {
            self.idle.remove(at: index)
        }
    }

    /// Closes every idle connection and refuses new work; the future completes when they are closed.
    func shutdown() -> EventLoopFuture<Void> {
        self.isShutdown = true
        let connections = self.idle
        self.idle.removeAll()
        var closed: [EventLoopFuture<Void>] = []
        for connection in connections {
            connection.leavePool()
            if let channel = connection.context?.channel {
                closed.append(channel.closeFuture)
            }
            connection.close()
        }
        return EventLoopFuture.andAllComplete(closed, on: self.eventLoop)
    }
}

@available(*, unavailable)
extension UpstreamConnectionPool: Sendable {}
