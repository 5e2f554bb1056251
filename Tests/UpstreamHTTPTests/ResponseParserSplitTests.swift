import NIOCore
import NIOHTTP1
import Testing
import UpstreamHTTP

/// The property a fuzzer would check, over deterministic mutations of the table inputs: whatever the bytes are,
/// the parser reads them the same way whole, one byte at a time and in pieces (where TCP cuts a response never
/// changes how it is read), and a head it hands out is well formed.
@Suite struct ResponseParserSplitTests {
    /// What one feeding produced: each part described (bodies joined per message), then the error kind or the
    /// number of bytes left unread.
    static func reading(_ input: [UInt8], pieces: [Int], methods: [HTTPMethod], eof: Bool) -> [String] {
        var parser = ResponseParser(limits: ResponseParser.Limits(maxHeadBytes: 200))
        var methods = methods[...]
        if let first = methods.popFirst() { parser.expectResponse(to: first) }
        var buffer = ByteBuffer()
        var events: [String] = []
        var body: [UInt8] = []
        func take(_ part: ResponseParser.Part) {
            switch part {
            case .informational(let head), .head(let head):
                Self.checkWellFormed(head)
                events.append("\(head.status.code) \(head.version) \(head.headers.map { "\($0.name)=\($0.value)" })")
            case .body(let slice):
                body += slice.readableBytesView
            case .end:
                events.append("body \(body.count) \(body.hashValue)")
                events.append("end")
                body = []
                if parser.isIdle, let next = methods.popFirst() { parser.expectResponse(to: next) }
            }
        }
        do {
            var offset = 0
            var index = 0
            repeat {
                let end = min(input.count, offset + pieces[index % pieces.count])
                buffer.writeBytes(input[offset..<end])
                offset = end
                index += 1
                while let part = try parser.next(from: &buffer) { take(part) }
            } while offset < input.count
            if eof, let part = try parser.finish() { take(part) }
            events.append("unread \(buffer.readableBytes)")
        } catch {
            events.append("error \((error as? ResponseParseError)?.kind.rawValue ?? "\(error)")")
        }
        return events
    }

    static func checkWellFormed(_ head: HTTPResponseHead) {
        #expect(head.version.major == 1)
        #expect((100...599).contains(head.status.code) && head.status.code != 101)
        for (name, value) in head.headers {
            #expect(!name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") })
            #expect(!value.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F })
            #expect(value.utf8.first != 0x20 && value.utf8.last != 0x20)
        }
    }

    /// The table inputs, but for the few kilobyte-long ones (a byte at a time, they would only slow the suite).
    static var seeds: [String] {
        (ResponseParserTests.valid.map(\.input) + ResponseParserTests.invalid.map(\.input)).filter { $0.utf8.count <= 512 }
    }

    @Test func mutatedInputsReadTheSameWholeAndInPieces() {
        var random = Mix(seed: 0x5eed)
        let alphabet = Array("HTTP/1.1 200 204 304 100 101 OK\r\n\r\n:;,- \t\0\nContent-Length: 5Transfer-Encoding: chunked0aA".utf8)
        var checked = 0
        for seed in Self.seeds {
            let original = Array(seed.utf8)
            for _ in 0..<100 {
                var input = original
                for _ in 0...(random.next() % 4) {
                    let position = input.isEmpty ? 0 : Int(random.next() % UInt64(input.count + 1))
                    switch random.next() % 3 {
                    case 0 where position < input.count: input.remove(at: position)
                    case 1 where position < input.count: input[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                    default: input.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
                    }
                }
                let methods: [HTTPMethod] = random.next() % 4 == 0 ? [.HEAD, .GET] : [.GET, .GET]
                let eof = random.next() % 2 == 0
                let whole = Self.reading(input, pieces: [max(1, input.count)], methods: methods, eof: eof)
                let pieces = (0..<5).map { _ in Int(random.next() % 9) + 1 }
                #expect(Self.reading(input, pieces: [1], methods: methods, eof: eof) == whole, "byte by byte: \(String(decoding: input, as: UTF8.self).debugDescription)")
                #expect(Self.reading(input, pieces: pieces, methods: methods, eof: eof) == whole, "pieces \(pieces): \(String(decoding: input, as: UTF8.self).debugDescription)")
                checked += 1
            }
        }
        #expect(checked > 8_000)
    }
}

/// SplitMix64: a small deterministic generator, so that a failure replays.
struct Mix {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
