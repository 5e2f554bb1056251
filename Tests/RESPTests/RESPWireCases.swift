import NIOCore
import NIOTestUtils
import RESP
import Testing

/// A named pair of wire bytes and the values they stand for. Every case is in canonical form,
/// so it checks both directions: decoding the bytes gives the values, and encoding the values
/// gives the bytes.
struct WireCase: Sendable, CustomTestStringConvertible {
    let name: String
    let wire: ByteBuffer
    let values: [RESPValue]

    init(_ name: String, _ wire: String, _ values: RESPValue...) {
        self.name = name
        self.wire = ByteBuffer(string: wire)
        self.values = values
    }

    init(_ name: String, bytes: [UInt8], _ values: RESPValue...) {
        self.name = name
        self.wire = ByteBuffer(bytes: bytes)
        self.values = values
    }

    var testDescription: String { self.name }
}

let wireCases: [WireCase] = [
    WireCase("simple string", "+OK\r\n", .simpleString("OK")),
    WireCase("empty simple string", "+\r\n", .simpleString("")),
    WireCase("error", "-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'")),
    WireCase("zero", ":0\r\n", .integer(0)),
    WireCase("positive integer", ":1000\r\n", .integer(1000)),
    WireCase("negative integer", ":-42\r\n", .integer(-42)),
    WireCase("Int.max", ":\(Int.max)\r\n", .integer(Int.max)),
    WireCase("Int.min", ":\(Int.min)\r\n", .integer(Int.min)),
    WireCase("bulk string", "$5\r\nhello\r\n", bulk("hello")),
    WireCase("empty bulk string", "$0\r\n\r\n", bulk("")),
    WireCase(
        "binary bulk string with NUL, CR LF and 0xFF",
        bytes: Array("$6\r\n".utf8) + [0x00, 0x0D, 0x0A, 0xFF, 0x0D, 0x0A] + Array("\r\n".utf8),
        .bulkString(ByteBuffer(bytes: [0x00, 0x0D, 0x0A, 0xFF, 0x0D, 0x0A]))
    ),
    WireCase("null bulk string", "$-1\r\n", .bulkString(nil)),
    WireCase("empty array", "*0\r\n", .array([])),
    WireCase("null array", "*-1\r\n", .array(nil)),
    WireCase(
        "flat array of every type",
        "*5\r\n+OK\r\n-ERR x\r\n:-7\r\n$3\r\nabc\r\n$-1\r\n",
        .array([.simpleString("OK"), .error("ERR x"), .integer(-7), bulk("abc"), .bulkString(nil)])
    ),
    WireCase(
        "nested arrays",
        "*3\r\n*2\r\n:1\r\n:2\r\n*1\r\n$1\r\na\r\n*-1\r\n",
        .array([.array([.integer(1), .integer(2)]), .array([bulk("a")]), .array(nil)])
    ),
    WireCase(
        "innermost empty array closes every level",
        "*1\r\n*1\r\n*0\r\n",
        .array([.array([.array([])])])
    ),
    WireCase(
        "pub/sub message",
        "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
        .array([bulk("message"), bulk("news"), bulk("hello")])
    ),
    WireCase(
        "several values in one read",
        "+OK\r\n:1\r\n$-1\r\n*1\r\n:2\r\n",
        .simpleString("OK"), .integer(1), .bulkString(nil), .array([.integer(2)])
    ),
]

@Suite("RESP2 wire cases")
struct RESPWireCaseTests {
    @Test("decodes, at every split of the input", arguments: wireCases)
    func decodes(_ testCase: WireCase) throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(testCase.wire, testCase.values)],
            decoderFactory: { RESPDecoder() }
        )
        #expect(try decodeByteByByte(testCase.wire) == testCase.values)
        #expect(try decodeAll(testCase.wire) == testCase.values)
    }

    @Test("encodes", arguments: wireCases)
    func encodes(_ testCase: WireCase) {
        var out = ByteBuffer()
        for value in testCase.values {
            out.writeRESPValue(value)
        }
        #expect(out == testCase.wire)
    }

    @Test("all cases interleaved through one decoder")
    func interleaved() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: wireCases.map { ($0.wire, $0.values) },
            decoderFactory: { RESPDecoder() }
        )
    }

    @Test("a large bulk string and a large array")
    func large() throws {
        let payload = ByteBuffer(repeating: 0x0D, count: 100_000)
        var wire = ByteBuffer()
        let array = RESPValue.array((0..<5_000).map { .integer($0 - 2_500) })
        wire.writeRESPValue(.bulkString(payload))
        wire.writeRESPValue(array)
        #expect(try decodeAll(wire) == [.bulkString(payload), array])

        // Split into reads of 1000 bytes, as a socket would deliver it.
        var decoder = RESPDecoder()
        var pending = ByteBuffer()
        var values: [RESPValue] = []
        while wire.readableBytes > 0, var chunk = wire.readSlice(length: min(1000, wire.readableBytes)) {
            pending.writeBuffer(&chunk)
            while let value = try decoder.decode(buffer: &pending) {
                values.append(value)
            }
        }
        #expect(values == [.bulkString(payload), array])
    }
}
