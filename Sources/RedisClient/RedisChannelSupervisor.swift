import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RESP

/// Keeps one connection to Redis up: connects, runs a setup step (AUTH, SELECT, SUBSCRIBE) before
/// declaring the connection ready, and after any failure or close reconnects with exponential
/// backoff, until ``close()``.
///
/// Thread safety: the lifecycle (phase, channel, handler, backoff) is confined to ``eventLoop``
/// in a `NIOLoopBoundBox`; the published state and generation sit in a `NIOLockedValueBox` so
/// that any thread can read them.
final class RedisChannelSupervisor: Sendable {
    /// The step that makes a fresh TCP connection usable. It runs on the event loop; the
    /// connection is ready once its future succeeds. A failure's description becomes the
    /// `lastError` of the disconnected state.
    typealias Setup = @Sendable (Channel, RedisCommandHandler) -> EventLoopFuture<Void>
    /// Told of every state change, on the event loop, with the current generation.
    typealias Observer = @Sendable (RedisConnectionState, _ generation: Int) -> Void

    let configuration: RedisConfiguration
    let eventLoop: EventLoop
    private let logger: Logger
    private let setup: Setup
    private let observer: Observer
    private let published: NIOLockedValueBox<Published>
    private let lifecycle: NIOLoopBoundBox<Lifecycle>

    private struct Published: Sendable {
        var state: RedisConnectionState = .disconnected(lastError: "not started")
        var generation = 0
    }

    private enum Phase {
        case idle
        case connecting
        case settingUp(Channel, RedisCommandHandler)
        case ready(Channel, RedisCommandHandler)
        case backingOff(Scheduled<Void>)
        case closed
    }

    private struct Lifecycle {
        var phase: Phase = .idle
        var consecutiveFailures = 0
        /// Why the setup failed, kept until the channel's close reports it.
        var setupError: String?
    }

    init(
        configuration: RedisConfiguration,
        eventLoop: EventLoop,
        logger: Logger,
        setup: @escaping Setup,
        observer: @escaping Observer
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.setup = setup
        self.observer = observer
        self.published = NIOLockedValueBox(Published())
        self.lifecycle = .makeBoxSendingValue(Lifecycle(), eventLoop: eventLoop)
    }

    /// The current state; readable from any thread.
    var state: RedisConnectionState {
        self.published.withLockedValue { $0.state }
    }

    /// How many times the connection has become ready; readable from any thread.
    var generation: Int {
        self.published.withLockedValue { $0.generation }
    }

    /// Begins connecting in the background; later calls do nothing.
    func start() {
        self.onLoop {
            guard case .idle = self.lifecycle.value.phase else {
                return
            }
            self.connect()
        }
    }

    /// Stops reconnecting and closes the connection. The future succeeds once the channel
    /// (if any) is closed.
    func close() -> EventLoopFuture<Void> {
        self.eventLoop.flatSubmit {
            let previous = self.lifecycle.value.phase
            self.lifecycle.value.phase = .closed
            let closed: EventLoopFuture<Void>
            switch previous {
            case .closed:
                return self.eventLoop.makeSucceededVoidFuture()
            case .idle, .connecting:
                // A connect in flight sees `.closed` when it completes and closes its channel.
                closed = self.eventLoop.makeSucceededVoidFuture()
            case .backingOff(let retry):
                retry.cancel()
                closed = self.eventLoop.makeSucceededVoidFuture()
            case .settingUp(let channel, _), .ready(let channel, _):
                channel.close(promise: nil)
                closed = channel.closeFuture
            }
            self.publish(.disconnected(lastError: "closed"))
            return closed
        }
    }

    /// The handler of the ready connection when called on the event loop; nil off the loop or when not ready (then
    /// `withReadyHandler` says why).
    func readyHandlerOnLoop() -> RedisCommandHandler? {
        guard self.eventLoop.inEventLoop, case .ready(_, let handler) = self.lifecycle.value.phase else { return nil }
        return handler
    }

    /// Runs `body` with the handler of the ready connection, on the event loop; fails with
    /// ``RedisClientError/notConnected`` at once when there is none.
    func withReadyHandler<Value: Sendable>(
        _ body: @escaping @Sendable (RedisCommandHandler) -> EventLoopFuture<Value>
    ) -> EventLoopFuture<Value> {
        let run: @Sendable () -> EventLoopFuture<Value> = {
            guard case .ready(_, let handler) = self.lifecycle.value.phase else {
                return self.eventLoop.makeFailedFuture(RedisClientError.notConnected)
            }
            return body(handler)
        }
        if self.eventLoop.inEventLoop {
            return run()
        }
        // Off the loop, the published state answers "not connected" without a thread hop.
        guard self.state == .connected else {
            return self.eventLoop.makeFailedFuture(RedisClientError.notConnected)
        }
        return self.eventLoop.flatSubmit(run)
    }

    // MARK: The cycle (all on the event loop)

    private func connect() {
        self.lifecycle.value.phase = .connecting
        self.publish(.connecting)
        let commandTimeout = self.configuration.commandTimeout
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(self.configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(RedisCommandHandler(eventLoop: channel.eventLoop, commandTimeout: commandTimeout))
                }
            }
            .connect(host: self.configuration.host, port: self.configuration.port)
            .whenComplete { result in
                self.connectCompleted(result)
            }
    }

    private func connectCompleted(_ result: Result<Channel, Error>) {
        guard case .connecting = self.lifecycle.value.phase else {
            // Closed while connecting.
            if case .success(let channel) = result {
                channel.close(promise: nil)
            }
            return
        }
        let channel: Channel
        let handler: RedisCommandHandler
        do {
            channel = try result.get()
            handler = try channel.pipeline.syncOperations.handler(type: RedisCommandHandler.self)
        } catch {
            self.connectionFailed(reason: "connect to \(self.configuration.host):\(self.configuration.port) failed: \(error)")
            return
        }
        self.lifecycle.value.phase = .settingUp(channel, handler)
        channel.closeFuture.whenComplete { _ in
            self.channelClosed(channel)
        }

        let setupTimeout = self.eventLoop.scheduleTask(in: self.configuration.commandTimeout) {
            self.failSetup(of: channel, reason: "handshake not answered within \(self.configuration.commandTimeout.nanoseconds / 1_000_000) ms")
        }
        self.setup(channel, handler).whenComplete { result in
            setupTimeout.cancel()
            switch result {
            case .success:
                self.setupSucceeded(channel)
            case .failure(let error):
                self.failSetup(of: channel, reason: "\(error)")
            }
        }
    }

    private func setupSucceeded(_ channel: Channel) {
        guard case .settingUp(let current, let handler) = self.lifecycle.value.phase, current === channel else {
            return
        }
        self.lifecycle.value.phase = .ready(channel, handler)
        self.lifecycle.value.consecutiveFailures = 0
        let generation = self.published.withLockedValue { published in
            published.generation += 1
            return published.generation
        }
        self.logger.info(
            "Redis connected",
            metadata: ["redis.address": "\(self.configuration.host):\(self.configuration.port)", "redis.generation": "\(generation)"]
        )
        self.publish(.connected)
    }

    /// Closes a channel whose setup failed; its close reports `reason` (the first one given,
    /// since closing makes the rest of the setup fail too) and schedules the retry.
    private func failSetup(of channel: Channel, reason: String) {
        guard case .settingUp(let current, _) = self.lifecycle.value.phase, current === channel else {
            return
        }
        if self.lifecycle.value.setupError == nil {
            self.lifecycle.value.setupError = reason
        }
        channel.close(promise: nil)
    }

    private func channelClosed(_ channel: Channel) {
        let handler: RedisCommandHandler
        switch self.lifecycle.value.phase {
        case .settingUp(let current, let currentHandler), .ready(let current, let currentHandler):
            guard current === channel else {
                return
            }
            handler = currentHandler
        case .idle, .connecting, .backingOff, .closed:
            return
        }
        let reason = self.lifecycle.value.setupError ?? handler.closeReason ?? "connection closed by the server"
        self.lifecycle.value.setupError = nil
        self.connectionFailed(reason: reason)
    }

    private func connectionFailed(reason: String) {
        let failures = self.lifecycle.value.consecutiveFailures
        let delay = self.configuration.reconnectBackoff.delay(afterFailures: failures)
        self.lifecycle.value.consecutiveFailures = failures + 1
        let retry = self.eventLoop.scheduleTask(in: delay) {
            guard case .backingOff = self.lifecycle.value.phase else {
                return
            }
            self.connect()
        }
        self.lifecycle.value.phase = .backingOff(retry)
        // The first failure after being up is news; repeats while Redis stays away are not.
        self.logger.log(
            level: failures == 0 ? .warning : .debug,
            "Redis disconnected",
            metadata: [
                "redis.address": "\(self.configuration.host):\(self.configuration.port)",
                "redis.error": "\(reason)",
                "redis.retry_in_ms": "\(delay.nanoseconds / 1_000_000)",
            ]
        )
        self.publish(.disconnected(lastError: reason))
    }

    /// Records `state` and tells the observer. Call it after updating the lifecycle, since the
    /// observer may call back in (close() from a callback, say).
    private func publish(_ state: RedisConnectionState) {
        let generation = self.published.withLockedValue { published in
            published.state = state
            return published.generation
        }
        self.observer(state, generation)
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if self.eventLoop.inEventLoop {
            body()
        } else {
            self.eventLoop.execute(body)
        }
    }
}
