import NIOCore
import NIOEmbedded
import RESP
import Testing

@testable import RedisClient

/// The command handler decodes the reply stream itself: replies split anywhere, several in one read, and bytes
/// that are not RESP. Driven through an `EmbeddedChannel`, so each read is exactly the bytes given.
@Suite("Redis reply stream")
struct RedisReplyStreamTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// The bytes Redis sends, and how they are cut into reads (each a length; the rest in one last read).
        var stream: String
        var cuts: [Int]
        /// The replies the commands get, in order.
        var replies: [RESPValue]
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "one reply in one read", stream: "$5\r\nhello\r\n", cuts: [], replies: [.bulkString(ByteBuffer(string: "hello"))]),
        Case(
            name: "one reply cut at every byte",
            stream: "$5\r\nhello\r\n",
            cuts: Array(repeating: 1, count: 10),
            replies: [.bulkString(ByteBuffer(string: "hello"))]
        ),
        Case(
            name: "three replies in one read",
            stream: "+OK\r\n:42\r\n$-1\r\n",
            cuts: [],
            replies: [.simpleString("OK"), .integer(42), .bulkString(nil)]
        ),
        Case(
            name: "the second reply cut inside its length",
            stream: "+OK\r\n$11\r\nhello world\r\n",
            cuts: [6, 2],
            replies: [.simpleString("OK"), .bulkString(ByteBuffer(string: "hello world"))]
        ),
        Case(
            name: "an array cut between and inside its elements",
            stream: "*2\r\n:1\r\n$3\r\nabc\r\n:7\r\n",
            cuts: [4, 3, 7],
            replies: [.array([.integer(1), .bulkString(ByteBuffer(string: "abc"))]), .integer(7)]
        ),
    ]

    private static func channel() throws -> (EmbeddedChannel, RedisCommandHandler) {
        let channel = EmbeddedChannel()
        let handler = RedisCommandHandler(eventLoop: channel.eventLoop, commandTimeout: .seconds(60))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        return (channel, handler)
    }

    @Test(arguments: Self.cases)
    func repliesAnswerTheirCommandsInOrder(_ c: Case) throws {
        let (channel, handler) = try Self.channel()
        let futures = c.replies.indices.map { handler.send(["GET", "k\($0)"].map { ByteBuffer(string: $0) }) }
        var rest = ByteBuffer(string: c.stream)
        for cut in c.cuts {
            try channel.writeInbound(rest.readSlice(length: cut)!)
        }
        if rest.readableBytes > 0 { try channel.writeInbound(rest) }
        for (future, expected) in zip(futures, c.replies) {
            #expect(try future.wait() == expected)
        }
        #expect(channel.isActive)
    }

    @Test func commandsOfOnePassAreWrittenAsOneBuffer() throws {
        let (channel, handler) = try Self.channel()
        _ = handler.send(["GET", "a"].map { ByteBuffer(string: $0) })
        _ = handler.send(["GET", "b"].map { ByteBuffer(string: $0) })
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: written) == "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n")
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var name: String
        var stream: String
        var commands: Int
        var testDescription: String { self.name }
    }

    static let badCases: [BadCase] = [
        BadCase(name: "bytes that are not RESP", stream: "HTTP/1.1 200 OK\r\n", commands: 1),
        BadCase(name: "a length that is not a number", stream: "$x\r\n", commands: 1),
        BadCase(name: "a good reply, then garbage", stream: "+OK\r\n?\r\n", commands: 2),
        BadCase(name: "a reply with no command waiting", stream: "+OK\r\n", commands: 0),
    ]

    @Test(arguments: Self.badCases)
    func aBrokenStreamClosesTheConnectionAndFailsWhatWaits(_ c: BadCase) throws {
        let (channel, handler) = try Self.channel()
        let futures = (0..<c.commands).map { handler.send(["GET", "k\($0)"].map { ByteBuffer(string: $0) }) }
        try channel.writeInbound(ByteBuffer(string: c.stream))
        #expect(handler.closeReason != nil)
        #expect(!channel.isActive)
        var failed = 0
        for future in futures {
            if case .failure(let error) = Result(catching: { try future.wait() }) {
                failed += 1
                #expect(error as? RedisClientError != nil)
            }
        }
        #expect(failed == (c.name == "a good reply, then garbage" ? 1 : c.commands))
    }
}
