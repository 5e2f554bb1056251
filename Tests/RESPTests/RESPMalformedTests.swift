import NIOCore
import RESP
import Testing

/// A named malformed input and the error the decoder must throw for it.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let wire: ByteBuffer
    let error: RESPError
    let decoder: RESPDecoder

    init(_ name: String, _ wire: String, _ error: RESPError, decoder: RESPDecoder = RESPDecoder()) {
        self.name = name
        self.wire = ByteBuffer(string: wire)
        self.error = error
        self.decoder = decoder
    }

    var testDescription: String { self.name }
}

let malformedCases: [MalformedCase] = [
    MalformedCase("unknown type byte", "?abc\r\n", .unknownType(UInt8(ascii: "?"))),
    MalformedCase("RESP3 type byte", "_\r\n", .unknownType(UInt8(ascii: "_"))),
    MalformedCase("inline command text", "PING\r\n", .unknownType(UInt8(ascii: "P"))),
    MalformedCase("garbage inside an array", "*2\r\n:1\r\n!x\r\n", .unknownType(UInt8(ascii: "!"))),
    MalformedCase("integer with a letter", ":12a\r\n", .invalidNumber),
    MalformedCase("empty integer", ":\r\n", .invalidNumber),
    MalformedCase("lone minus sign", ":-\r\n", .invalidNumber),
    MalformedCase("integer overflow", ":9223372036854775808\r\n", .invalidNumber),
    MalformedCase("plus-signed length", "$+3\r\nabc\r\n", .invalidNumber),
    MalformedCase("bulk length below -1", "$-2\r\n", .negativeLength(-2)),
    MalformedCase("array count below -1", "*-5\r\n", .negativeLength(-5)),
    MalformedCase(
        "bulk string over 512 MiB",
        "$536870913\r\n",
        .bulkTooLarge(length: 536_870_913, limit: 536_870_912)
    ),
    MalformedCase("bulk payload not followed by CR LF", "$3\r\nfooXY", .missingCRLF),
    MalformedCase("CR not followed by LF", "+OK\rX", .missingCRLF),
    MalformedCase(
        "array over the count limit",
        "*11\r\n",
        .arrayTooLarge(count: 11, limit: 10),
        decoder: RESPDecoder(maxArrayCount: 10)
    ),
    MalformedCase(
        "arrays nested too deep",
        "*1\r\n*1\r\n*1\r\n:1\r\n",
        .nestingTooDeep(limit: 2),
        decoder: RESPDecoder(maxDepth: 2)
    ),
    MalformedCase(
        "line without CR LF past the line limit",
        "+" + String(repeating: "x", count: 20),
        .lineTooLong(limit: 8),
        decoder: RESPDecoder(maxLineLength: 8)
    ),
]

@Suite("RESP2 malformed input")
struct RESPMalformedTests {
    @Test("throws when the input arrives at once", arguments: malformedCases)
    func throwsAtOnce(_ testCase: MalformedCase) {
        #expect(throws: testCase.error) {
            try decodeAll(testCase.wire, decoder: testCase.decoder)
        }
    }

    @Test("throws when the input arrives byte by byte", arguments: malformedCases)
    func throwsByteByByte(_ testCase: MalformedCase) {
        #expect(throws: testCase.error) {
            try decodeByteByByte(testCase.wire, decoder: testCase.decoder)
        }
    }

    @Test("a line at exactly the limit is accepted")
    func lineAtLimit() throws {
        let decoder = RESPDecoder(maxLineLength: 8)
        #expect(try decodeAll(buffer("+12345678\r\n"), decoder: decoder) == [.simpleString("12345678")])
        #expect(try decodeByteByByte(buffer("+12345678\r\n"), decoder: decoder) == [.simpleString("12345678")])
    }

    @Test("a bulk string at exactly the limit is accepted")
    func bulkAtLimit() throws {
        let decoder = RESPDecoder(maxBulkLength: 4)
        #expect(try decodeAll(buffer("$4\r\nabcd\r\n"), decoder: decoder) == [bulk("abcd")])
        #expect(throws: RESPError.bulkTooLarge(length: 5, limit: 4)) {
            try decodeAll(buffer("$5\r\nabcde\r\n"), decoder: decoder)
        }
    }

    @Test("errors describe themselves")
    func descriptions() {
        #expect(RESPError.bulkTooLarge(length: 9, limit: 4).description == "RESP: bulk string of 9 bytes exceeds the limit of 4")
        #expect(RESPError.unknownType(0x3F).description == "RESP: unknown type byte 0x3f")
    }
}
