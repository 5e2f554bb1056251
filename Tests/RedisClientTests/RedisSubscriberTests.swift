import NIOCore
import RESP
import RedisClient
import RedisTestSupport
import Testing

/// A published message as the subscriber saw it.
struct ReceivedMessage: Sendable, Equatable {
    let channel: String
    let payload: ByteBuffer
}

/// A started subscriber, with mailboxes fed by its callbacks.
struct ObservedSubscriber {
    let subscriber: RedisSubscriber
    let messages = Mailbox<ReceivedMessage>()
    let subscriptions = Mailbox<Int>()

    init(_ configuration: RedisConfiguration, channels: [String]) {
        let messages = self.messages
        let subscriptions = self.subscriptions
        self.subscriber = RedisSubscriber(
            configuration: configuration,
            eventLoop: testEventLoop(),
            logger: quietLogger,
            channels: channels,
            onMessage: { messages.post(ReceivedMessage(channel: $0, payload: $1)) },
            onSubscribed: { subscriptions.post($0) }
        )
        self.subscriber.start()
    }
}

@Suite("RedisSubscriber against redis-server")
struct RedisSubscriberTests {
    @Test("receives published messages, and subscribes again after a restart")
    func messagesAndResubscribe() async throws {
        let server = try await RedisServerProcess()
        let configuration = testConfiguration(server)
        let observed = ObservedSubscriber(configuration, channels: ["news", "alerts"])
        let publisher = ObservedConnection(configuration)
        defer {
            observed.subscriber.close()
            publisher.connection.close()
        }
        #expect(try await observed.subscriptions.next("the first subscription") == 1)
        #expect(observed.subscriber.isSubscribed)
        try await publisher.awaitConnect(generation: 1)

        let payload = ByteBuffer(bytes: [0x68, 0x00, 0x0D, 0x0A, 0xFF])
        let receivers = try await publisher.connection.send([ByteBuffer(string: "PUBLISH"), ByteBuffer(string: "news"), payload]).get()
        #expect(receivers == .integer(1))
        #expect(try await observed.messages.next("the first message") == ReceivedMessage(channel: "news", payload: payload))
        _ = try await publisher.connection.send("PUBLISH", "alerts", "second").get()
        #expect(try await observed.messages.next("the second message") == ReceivedMessage(channel: "alerts", payload: ByteBuffer(string: "second")))

        server.kill()
        try await server.start()
        #expect(try await observed.subscriptions.next("the subscription after the restart") == 2)
        #expect(observed.subscriber.isSubscribed)
        try await publisher.awaitConnect(generation: 2)
        #expect(try await publisher.connection.send("PUBLISH", "news", "again").get() == .integer(1))
        #expect(try await observed.messages.next("a message after the restart") == ReceivedMessage(channel: "news", payload: ByteBuffer(string: "again")))
    }

    @Test("authenticates before subscribing, and a wrong password keeps it unsubscribed")
    func authentication() async throws {
        let server = try await RedisServerProcess(password: "s3cret")
        let observed = ObservedSubscriber(testConfiguration(server, password: "s3cret", database: 5), channels: ["news"])
        defer { observed.subscriber.close() }
        #expect(try await observed.subscriptions.next("the subscription") == 1)

        let publisher = ObservedConnection(testConfiguration(server, password: "s3cret"))
        defer { publisher.connection.close() }
        try await publisher.awaitConnect(generation: 1)
        _ = try await publisher.connection.send("PUBLISH", "news", "hello").get()
        #expect(try await observed.messages.next("the message") == ReceivedMessage(channel: "news", payload: ByteBuffer(string: "hello")))

        let rejected = RedisSubscriber(
            configuration: testConfiguration(server, password: "wrong", backoff: .init(initial: .seconds(30), max: .seconds(30))),
            eventLoop: testEventLoop(),
            logger: quietLogger,
            channels: ["news"],
            onMessage: { _, _ in Issue.record("a message without a subscription") },
            onSubscribed: { _ in Issue.record("subscribed with a wrong password") }
        )
        let states = Mailbox<RedisConnectionState>()
        rejected.onStateChange = { states.post($0) }
        defer { rejected.close() }
        rejected.start()
        let state = try await states.next("the AUTH failure") { $0.lastError != nil }
        #expect(state.lastError?.hasPrefix("AUTH failed: WRONGPASS") == true)
        #expect(!rejected.isSubscribed)
        #expect(rejected.state == state)
    }
}
