import NIOCore
import RESP
import RedisClient
import RedisTestSupport
import Testing

@Suite("RedisConnection against redis-server")
struct RedisConnectionTests {
    @Test("SET and GET keep binary values intact")
    func binarySafe() async throws {
        let server = try await RedisServerProcess()
        let observed = ObservedConnection(testConfiguration(server))
        defer { observed.connection.close() }
        try await observed.awaitConnect(generation: 1)
        #expect(observed.connection.state == .connected)
        #expect(observed.connection.connectedGeneration == 1)

        let key = ByteBuffer(bytes: [0x6B, 0x00, 0x0D, 0x0A])
        let value = ByteBuffer(bytes: [0x00, 0x0D, 0x0A, 0xFF, 0x24, 0x2A, 0x0D, 0x0A, 0x00])
        let set = try await observed.connection.send([ByteBuffer(string: "SET"), key, value]).get()
        #expect(set == .simpleString("OK"))
        let get = try await observed.connection.send([ByteBuffer(string: "GET"), key]).get()
        #expect(get == .bulkString(value))
        let missing = try await observed.connection.send("GET", "no-such-key").get()
        #expect(missing.isNull)
    }

    @Test("a pipeline of 100 commands is answered in order")
    func pipeline() async throws {
        let server = try await RedisServerProcess()
        let observed = ObservedConnection(testConfiguration(server))
        defer { observed.connection.close() }
        try await observed.awaitConnect(generation: 1)

        let commands = (0..<100).map { index in
            index.isMultiple(of: 2)
                ? [ByteBuffer(string: "RPUSH"), ByteBuffer(string: "list"), ByteBuffer(string: "item-\(index)")]
                : [ByteBuffer(string: "ECHO"), ByteBuffer(string: "echo-\(index)")]
        }
        let replies = try await observed.connection.pipeline(commands).get()
        let expected: [RESPValue] = (0..<100).map { index in
            index.isMultiple(of: 2) ? .integer(index / 2 + 1) : .bulkString(ByteBuffer(string: "echo-\(index)"))
        }
        #expect(replies == expected)

        let list = try await observed.connection.send("LRANGE", "list", "0", "-1").get()
        #expect(list.array?.compactMap(\.string) == (0..<50).map { "item-\($0 * 2)" })
        #expect(try await observed.connection.pipeline([]).get() == [])
    }

    @Test("an unknown command comes back as an error value and the connection stays up")
    func errorReply() async throws {
        let server = try await RedisServerProcess()
        let observed = ObservedConnection(testConfiguration(server))
        defer { observed.connection.close() }
        try await observed.awaitConnect(generation: 1)

        let reply = try await observed.connection.send("NO-SUCH-COMMAND", "x").get()
        let message = try #require(reply.errorMessage)
        #expect(message.hasPrefix("ERR unknown command"))
        #expect(try await observed.connection.send("PING").get() == .simpleString("PONG"))
        #expect(observed.connection.connectedGeneration == 1)
    }

    @Test("AUTH with the right password connects, with and without a user name")
    func authSucceeds() async throws {
        let server = try await RedisServerProcess(password: "s3cret")
        for username in [nil, "default"] {
            let observed = ObservedConnection(testConfiguration(server, password: "s3cret", username: username))
            try await observed.awaitConnect(generation: 1)
            #expect(try await observed.connection.send("PING").get() == .simpleString("PONG"))
            try await observed.connection.close().get()
        }
    }

    @Test("a wrong password leaves the connection disconnected with the error in its state")
    func authFails() async throws {
        let server = try await RedisServerProcess(password: "s3cret")
        // A long backoff keeps the state at the failure instead of the next attempt.
        let configuration = testConfiguration(server, password: "wrong", backoff: .init(initial: .seconds(30), max: .seconds(30)))
        let observed = ObservedConnection(configuration)
        defer { observed.connection.close() }

        let state = try await observed.states.next("the AUTH failure") { $0.lastError != nil }
        let lastError = try #require(state.lastError)
        #expect(lastError.hasPrefix("AUTH failed: WRONGPASS"))
        #expect(observed.connection.state == state)
        #expect(observed.connection.connectedGeneration == 0)
        #expect(await failure(of: observed.connection.send("PING")) as? RedisClientError == .notConnected)
    }

    @Test("SELECT isolates the databases")
    func selectDatabase() async throws {
        let server = try await RedisServerProcess()
        let db0 = ObservedConnection(testConfiguration(server))
        let db3 = ObservedConnection(testConfiguration(server, database: 3))
        defer {
            db0.connection.close()
            db3.connection.close()
        }
        try await db0.awaitConnect(generation: 1)
        try await db3.awaitConnect(generation: 1)

        #expect(try await db3.connection.send("SET", "shared-name", "in-3").get() == .simpleString("OK"))
        #expect(try await db0.connection.send("GET", "shared-name").get().isNull)
        #expect(try await db3.connection.send("GET", "shared-name").get().string == "in-3")
        #expect(try await db0.connection.send("DBSIZE").get() == .integer(0))
    }

    @Test("a database the server does not have leaves it disconnected")
    func selectFails() async throws {
        let server = try await RedisServerProcess()
        let configuration = testConfiguration(server, database: 99, backoff: .init(initial: .seconds(30), max: .seconds(30)))
        let observed = ObservedConnection(configuration)
        defer { observed.connection.close() }
        let state = try await observed.states.next("the SELECT failure") { $0.lastError != nil }
        #expect(state.lastError?.hasPrefix("SELECT failed: ERR DB index is out of range") == true)
    }

    @Test("send before start and after close fails at once with notConnected")
    func notConnected() async throws {
        let server = try await RedisServerProcess()
        let connection = RedisConnection(configuration: testConfiguration(server), eventLoop: testEventLoop(), logger: quietLogger)
        #expect(connection.state == .disconnected(lastError: "not started"))
        #expect(await failure(of: connection.send("PING")) as? RedisClientError == .notConnected)
        #expect(await failure(of: connection.pipeline([[ByteBuffer(string: "PING")]])) as? RedisClientError == .notConnected)

        let connects = Mailbox<Int>()
        connection.onConnect = { connects.post($0) }
        connection.start()
        _ = try await connects.next("the first connect")
        try await connection.close().get()
        #expect(connection.state == .disconnected(lastError: "closed"))
        #expect(await failure(of: connection.send("PING")) as? RedisClientError == .notConnected)
    }
}
