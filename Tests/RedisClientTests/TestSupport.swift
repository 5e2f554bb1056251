import Logging
import NIOCore
import NIOPosix
import RedisClient
import RedisTestSupport

/// A logger that discards everything, to keep test output readable.
let quietLogger = Logger(label: "redis-test", factory: { _ in SwiftLogNoOpLogHandler() })

/// One event loop of the shared group.
func testEventLoop() -> EventLoop {
    MultiThreadedEventLoopGroup.singleton.next()
}

/// A configuration for the test server, with quick retries so reconnect tests finish fast.
func testConfiguration(
    _ server: RedisServerProcess,
    password: String? = nil,
    username: String? = nil,
    database: Int = 0,
    commandTimeout: TimeAmount = .seconds(2),
    backoff: RedisConfiguration.Backoff = .init(initial: .milliseconds(20), max: .milliseconds(200))
) -> RedisConfiguration {
    RedisConfiguration(
        host: "127.0.0.1",
        port: server.port,
        password: password,
        username: username,
        database: database,
        connectTimeout: .seconds(10),
        commandTimeout: commandTimeout,
        reconnectBackoff: backoff
    )
}

/// A started connection, with mailboxes fed by its callbacks.
struct ObservedConnection {
    let connection: RedisConnection
    /// The generation of every successful (re)connect.
    let connects = Mailbox<Int>()
    /// Every state change.
    let states = Mailbox<RedisConnectionState>()

    init(_ configuration: RedisConfiguration) {
        self.connection = RedisConnection(configuration: configuration, eventLoop: testEventLoop(), logger: quietLogger)
        let connects = self.connects
        let states = self.states
        self.connection.onConnect = { connects.post($0) }
        self.connection.onStateChange = { states.post($0) }
        self.connection.start()
    }

    /// Waits for the connect of `generation`.
    func awaitConnect(generation: Int) async throws {
        _ = try await self.connects.next("connect #\(generation)") { $0 == generation }
    }
}

/// The failure of `future`, or `nil` if it succeeded.
func failure<Value: Sendable>(of future: EventLoopFuture<Value>) async -> Error? {
    do {
        _ = try await future.get()
        return nil
    } catch {
        return error
    }
}

extension RedisConnectionState {
    /// The last error of a disconnected state.
    var lastError: String? {
        if case .disconnected(let lastError) = self {
            return lastError
        }
        return nil
    }
}
