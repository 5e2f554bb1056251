import ServiceLifecycle

/// The running proxy as a swift-service-lifecycle `Service`: `run()` binds the listeners, serves until the
/// service group asks for a graceful shutdown, then drains (`ProxyServer.shutdown()`: no new connections, requests
/// in flight get up to `shutdown_timeout`) and returns.
///
/// Which signals start the shutdown is the executable's business (its `ServiceGroup`); this type knows no signals.
public struct ProxyService: Service, CustomStringConvertible {
    public let server: ProxyServer
    private let onListening: @Sendable (ProxyServer) -> Void
    private let admin: AdminMount?

    /// `admin` serves `admin_listen` (`ProxyServer.start(admin:)`); `onListening` runs once the listeners are bound
    /// (`server.port` is known then).
    public init(
        server: ProxyServer,
        admin: AdminMount? = nil,
        onListening: @escaping @Sendable (ProxyServer) -> Void = { _ in }
    ) {
        self.server = server
        self.admin = admin
        self.onListening = onListening
    }

    public var description: String { "ProxyService" }

    public func run() async throws {
        do {
            try await self.server.start(admin: self.admin)
        } catch {
            // Nothing is listening; stop the event loops and the upstream clients before reporting the failure.
            try? await self.server.shutdown(timeout: .zero)
            throw error
        }
        self.onListening(self.server)
        let cancelled: Bool
        do {
            try await gracefulShutdown()
            cancelled = false
        } catch {
            cancelled = true
        }
        if cancelled {
            // The group was cancelled rather than asked to shut down gracefully: close without waiting.
            self.server.logger.warning("cancelled: closing connections without waiting for requests in flight")
            try await self.server.shutdown(timeout: .zero)
        } else {
            self.server.logger.info("shutting down: no new connections; requests in flight may finish")
            try await self.server.shutdown()
        }
    }
}
