import NIOCore
import RESP
import RedisClient
import RedisTestSupport
import Testing

@Suite("RedisConnection failures against redis-server")
struct RedisFailureTests {
    @Test("a killed server fails commands fast, and the connection comes back after a restart")
    func killAndRestart() async throws {
        let server = try await RedisServerProcess()
        let observed = ObservedConnection(testConfiguration(server, commandTimeout: .seconds(30)))
        defer { observed.connection.close() }
        try await observed.awaitConnect(generation: 1)

        // A command in flight when the server dies: BLPOP with no timeout never answers by itself.
        let blocked = observed.connection.send("BLPOP", "never-filled", "0")
        server.kill()
        // With a 30 s command timeout, .connectionClosed (not .timeout) shows the command failed on the close.
        #expect(await failure(of: blocked) as? RedisClientError == .connectionClosed)

        // While disconnected a command is refused at once (.notConnected), never queued until a reconnect.
        _ = try await observed.states.next("the disconnect") { $0.lastError != nil }
        let error = await failure(of: observed.connection.send("PING")) as? RedisClientError
        #expect(error == .notConnected)

        try await server.start()
        try await observed.awaitConnect(generation: 2)
        #expect(observed.connection.connectedGeneration == 2)
        #expect(try await observed.connection.send("PING").get() == .simpleString("PONG"))
    }

    @Test("a command past its timeout fails with timeout and the connection reconnects")
    func commandTimeout() async throws {
        let server = try await RedisServerProcess()
        let observed = ObservedConnection(testConfiguration(server, commandTimeout: .milliseconds(100)))
        defer { observed.connection.close() }
        try await observed.awaitConnect(generation: 1)

        // DEBUG SLEEP 1 answers after a second: .timeout shows the 100 ms deadline ended the wait first.
        let sleeping = observed.connection.send("DEBUG", "SLEEP", "1")
        let behind = observed.connection.send("PING")
        #expect(await failure(of: sleeping) as? RedisClientError == .timeout)
        #expect(await failure(of: behind) as? RedisClientError == .connectionClosed)

        let state = try await observed.states.next("the disconnect after the timeout") { $0.lastError != nil }
        #expect(state.lastError == "command timed out after 100 ms")
        try await observed.awaitConnect(generation: 2)
    }
}
