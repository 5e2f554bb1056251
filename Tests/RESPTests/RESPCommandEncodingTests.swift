import NIOCore
import RESP
import Testing

/// A named command and the bytes a client must send for it.
struct CommandCase: Sendable, CustomTestStringConvertible {
    let name: String
    let args: [ByteBuffer]
    let wire: ByteBuffer

    init(_ name: String, _ args: [ByteBuffer], _ wire: [UInt8]) {
        self.name = name
        self.args = args
        self.wire = ByteBuffer(bytes: wire)
    }

    init(_ name: String, _ args: [String], _ wire: String) {
        self.init(name, args.map { ByteBuffer(string: $0) }, Array(wire.utf8))
    }

    var testDescription: String { self.name }
}

let commandCases: [CommandCase] = [
    CommandCase("no arguments", [String](), "*0\r\n"),
    CommandCase("PING", ["PING"], "*1\r\n$4\r\nPING\r\n"),
    CommandCase("GET key", ["GET", "key"], "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"),
    CommandCase("empty argument", ["SET", "k", ""], "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"),
    CommandCase("multi-byte UTF-8 counts bytes", ["ECHO", "é€"], "*2\r\n$4\r\nECHO\r\n$5\r\né€\r\n"),
    CommandCase(
        "binary argument with NUL and CR LF",
        [ByteBuffer(string: "SET"), ByteBuffer(string: "k"), ByteBuffer(bytes: [0x00, 0x0D, 0x0A, 0xFF])],
        Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n".utf8) + [0x00, 0x0D, 0x0A, 0xFF, 0x0D, 0x0A]
    ),
]

@Suite("RESP2 command encoding")
struct RESPCommandEncodingTests {
    @Test("ByteBuffer arguments", arguments: commandCases)
    func byteBufferArguments(_ testCase: CommandCase) {
        var out = ByteBuffer()
        out.writeRESPCommand(testCase.args)
        #expect(out == testCase.wire)
    }

    @Test("String arguments match ByteBuffer arguments", arguments: commandCases)
    func stringArguments(_ testCase: CommandCase) {
        let strings = testCase.args.map { String(buffer: $0) }
        // Only cases whose bytes are valid UTF-8 survive the String round trip.
        guard strings.map({ ByteBuffer(string: $0) }) == testCase.args else { return }
        var out = ByteBuffer()
        out.writeRESPCommand(strings)
        #expect(out == testCase.wire)
    }

    @Test("variadic String convenience")
    func variadic() {
        var out = ByteBuffer()
        out.writeRESPCommand("GET", "key")
        #expect(out == buffer("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"))
    }

    @Test("a command decodes as an array of bulk strings")
    func commandRoundTrip() throws {
        var out = ByteBuffer()
        out.writeRESPCommand([ByteBuffer(string: "SET"), ByteBuffer(bytes: [0, 13, 10])])
        #expect(try decodeAll(out) == [.array([bulk("SET"), .bulkString(ByteBuffer(bytes: [0, 13, 10]))])])
    }
}
