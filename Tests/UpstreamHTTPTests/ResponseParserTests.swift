import NIOCore
import NIOHTTP1
import Testing
import UpstreamHTTP

/// Feeds `input` to a parser `step` bytes at a time (0: all at once), as the responses to `methods` in order, and
/// describes every part it hands out; `eof` then tells it the connection closed.
private func parse(
    _ input: [UInt8],
    methods: [HTTPMethod] = [.GET],
    step: Int = 0,
    eof: Bool = false,
    limits: ResponseParser.Limits = .init()
) throws -> [String] {
    var parser = ResponseParser(limits: limits)
    var methods = methods[...]
    if let first = methods.popFirst() { parser.expectResponse(to: first) }
    var buffer = ByteBuffer()
    var parts: [String] = []
    var body = ""
    func take(_ part: ResponseParser.Part) {
        switch part {
        case .informational(let head):
            parts.append("1xx \(head.status.code) [\(describe(head.headers))]")
        case .head(let head):
            parts.append("head \(head.status.code) \(head.version.major).\(head.version.minor) [\(describe(head.headers))]")
        case .body(var chunk):
            // Bodies may arrive in any number of slices; they are joined per message.
            body += chunk.readString(length: chunk.readableBytes)!
        case .end:
            if !body.isEmpty { parts.append("body \(body)") }
            body = ""
            parts.append("end")
            if let next = methods.popFirst() { parser.expectResponse(to: next) }
        }
    }
    var offset = 0
    repeat {
        let end = step == 0 ? input.count : min(input.count, offset + step)
        buffer.writeBytes(input[offset..<end])
        offset = end
        while let part = try parser.next(from: &buffer) { take(part) }
    } while offset < input.count
    if eof, let part = try parser.finish() { take(part) }
    return parts
}

private func parse(_ input: String, methods: [HTTPMethod] = [.GET], step: Int = 0, eof: Bool = false) throws -> [String] {
    try parse(Array(input.utf8), methods: methods, step: step, eof: eof)
}

private func describe(_ headers: HTTPHeaders) -> String {
    headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
}

@Suite struct ResponseParserTests {
    struct Valid: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String
        var methods: [HTTPMethod] = [.GET]
        var eof = false
        let parts: [String]
        var testDescription: String { self.name }
    }

    static let valid: [Valid] = [
        Valid(name: "a Content-Length body", input: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
              parts: ["head 200 1.1 [Content-Length=5]", "body hello", "end"]),
        Valid(name: "Content-Length 0 has no body", input: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
              parts: ["head 200 1.1 [Content-Length=0]", "end"]),
        Valid(name: "equal Content-Length values are one length",
              input: "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nok",
              parts: ["head 200 1.1 [Content-Length=2, 2,content-length=2]", "body ok", "end"]),
        Valid(
            name: "a chunked body with extensions and trailers",
            input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=\"v\"\r\nhello\r\n6 \r\n world\r\n0\r\nX-Sum: 1\r\n\r\n",
            parts: ["head 200 1.1 [Transfer-Encoding=chunked]", "body hello world", "end"]
        ),
        Valid(name: "chunked in any case, with an empty list element",
              input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: , CHUNKED\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
              parts: ["head 200 1.1 [Transfer-Encoding=, CHUNKED]", "body 0123456789", "end"]),
        Valid(name: "no length: the body ends at the close (RFC 9112 §6.3 rule 8)",
              input: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", eof: true,
              parts: ["head 200 1.1 [Content-Type=text/plain]", "body until the end", "end"]),
        Valid(name: "an HTTP/1.0 body up to the close", input: "HTTP/1.0 200 OK\r\n\r\nold", eof: true,
              parts: ["head 200 1.0 []", "body old", "end"]),
        Valid(name: "a response to HEAD has no body, whatever its Content-Length",
              input: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", methods: [.HEAD],
              parts: ["head 200 1.1 [Content-Length=1000]", "end"]),
        Valid(name: "a chunked response to HEAD has no body",
              input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", methods: [.HEAD],
              parts: ["head 200 1.1 [Transfer-Encoding=chunked]", "end"]),
        Valid(name: "a 304 with the 200's Content-Length has no body (RFC 9110 §8.6, §15.4.5)",
              input: "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 10\r\n\r\n",
              parts: ["head 304 1.1 [ETag=\"v1\",Content-Length=10]", "end"]),
        Valid(name: "a 304 with Transfer-Encoding has no body (RFC 9112 §6.1)",
              input: "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
              parts: ["head 304 1.1 [Transfer-Encoding=chunked]", "end"]),
        Valid(name: "a 204 has no body", input: "HTTP/1.1 204 No Content\r\n\r\n", parts: ["head 204 1.1 []", "end"]),
        Valid(name: "a 204 with Content-Length 0 (tolerated)", input: "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
              parts: ["head 204 1.1 [Content-Length=0]", "end"]),
        Valid(name: "100 Continue before the response",
              input: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
              parts: ["1xx 100 []", "head 200 1.1 [Content-Length=2]", "body ok", "end"]),
        Valid(name: "two 103 Early Hints and a 102 before the response",
              input: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                  + "HTTP/1.1 103 Early Hints\r\nLink: </b.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
              parts: ["1xx 103 [Link=</a.css>]", "1xx 102 []", "1xx 103 [Link=</b.css>]", "head 204 1.1 []", "end"]),
        Valid(name: "two responses on one connection",
              input: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb",
              methods: [.GET, .GET],
              parts: ["head 200 1.1 [Content-Length=1]", "body a", "end", "head 404 1.1 [Content-Length=1]", "body b", "end"]),
        Valid(name: "a HEAD response then a GET response",
              input: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
              methods: [.HEAD, .GET],
              parts: ["head 200 1.1 [Content-Length=3]", "end", "head 200 1.1 [Content-Length=3]", "body abc", "end"]),
        Valid(name: "a status line without a reason phrase or its space (tolerated)", input: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
              parts: ["head 200 1.1 [Content-Length=0]", "end"]),
        Valid(name: "an empty reason phrase", input: "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
              parts: ["head 200 1.1 [Content-Length=0]", "end"]),
        Valid(name: "an unregistered status code", input: "HTTP/1.1 299 Whatever It Is\r\nContent-Length: 0\r\n\r\n",
              parts: ["head 299 1.1 [Content-Length=0]", "end"]),
        Valid(name: "whitespace around a value is trimmed, inner kept; order and repeats kept",
              input: "HTTP/1.1 200 OK\r\nX-A: \t one  two \t\r\nVary: a\r\nvary: b\r\nX-B:\r\nContent-Length: 0\r\n\r\n",
              parts: ["head 200 1.1 [X-A=one  two,Vary=a,vary=b,X-B=,Content-Length=0]", "end"]),
        Valid(name: "no bytes at all and no close: nothing yet", input: "", parts: []),
        Valid(name: "no response owed and a close: nothing", input: "", methods: [], eof: true, parts: []),
    ]

    @Test(arguments: valid)
    func parsesWholeAndByteByByte(_ c: Valid) throws {
        #expect(try parse(c.input, methods: c.methods, eof: c.eof) == c.parts)
        #expect(try parse(c.input, methods: c.methods, step: 1, eof: c.eof) == c.parts)
        #expect(try parse(c.input, methods: c.methods, step: 7, eof: c.eof) == c.parts)
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String
        var methods: [HTTPMethod] = [.GET]
        var eof = false
        let kind: ResponseParseError.Kind
        var testDescription: String { self.name }
    }

    static let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

    static let invalid: [Invalid] = [
        // Content-Length
        Invalid(name: "two Content-Length fields that disagree",
                input: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", kind: .malformed),
        Invalid(name: "Content-Length values that disagree in one field", input: "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
                kind: .malformed),
        Invalid(name: "Content-Length with Transfer-Encoding (RFC 9112 §6.3 rule 3)",
                input: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", kind: .malformed),
        Invalid(name: "Content-Length with Transfer-Encoding on a HEAD response",
                input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", methods: [.HEAD], kind: .malformed),
        Invalid(name: "a non-numeric Content-Length", input: "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", kind: .malformed),
        Invalid(name: "a negative Content-Length", input: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", kind: .malformed),
        Invalid(name: "a signed Content-Length", input: "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc", kind: .malformed),
        Invalid(name: "an empty Content-Length", input: "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", kind: .malformed),
        Invalid(name: "a fractional Content-Length", input: "HTTP/1.1 200 OK\r\nContent-Length: 1.5\r\n\r\n", kind: .malformed),
        Invalid(name: "a 19-digit Content-Length", input: "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000000\r\n\r\n",
                kind: .malformed),
        // Transfer-Encoding
        Invalid(name: "Transfer-Encoding in HTTP/1.0 (RFC 9112 §6.1)",
                input: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", kind: .malformed),
        Invalid(name: "a transfer coding other than chunked", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                kind: .malformed),
        Invalid(name: "a coding before chunked", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", kind: .malformed),
        Invalid(name: "chunked not the final coding", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                kind: .malformed),
        Invalid(name: "chunked twice", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                kind: .malformed),
        Invalid(name: "an empty Transfer-Encoding", input: "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", kind: .malformed),
        // Chunks
        Invalid(name: "a chunk size that is not hex", input: chunked + "zz\r\n", kind: .malformed),
        Invalid(name: "a chunk size with a sign", input: chunked + "-5\r\n", kind: .malformed),
        Invalid(name: "an empty chunk-size line", input: chunked + "\r\n", kind: .malformed),
        Invalid(name: "a chunk size past 15 hex digits", input: chunked + "1000000000000000\r\n", kind: .malformed),
        Invalid(name: "a chunk-size line over 4 KiB", input: chunked + "5;" + String(repeating: "x", count: 5000) + "\r\n",
                kind: .malformed),
        Invalid(name: "a control byte in a chunk extension", input: chunked + "5;a=\u{1}\r\nhello\r\n0\r\n\r\n", kind: .malformed),
        Invalid(name: "chunk data longer than its size", input: chunked + "2\r\nabc\r\n0\r\n\r\n", kind: .malformed),
        Invalid(name: "a chunk-size line ending in a bare LF", input: chunked + "5\nhello\r\n", kind: .malformed),
        Invalid(name: "a trailer without a colon", input: chunked + "0\r\nnot a field\r\n\r\n", kind: .malformed),
        Invalid(name: "a chunked body without its last chunk, then a close", input: chunked + "5\r\nhello\r\n", eof: true,
                kind: .truncated),
        Invalid(name: "a close inside chunk data", input: chunked + "a\r\nhello", eof: true, kind: .truncated),
        Invalid(name: "a close inside the trailers", input: chunked + "0\r\nX-A: 1\r\n", eof: true, kind: .truncated),
        // Lengths against the body
        Invalid(name: "a body shorter than its Content-Length, then a close",
                input: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", eof: true, kind: .truncated),
        Invalid(name: "a body longer than its Content-Length (extra bytes)",
                input: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, world", kind: .unexpectedBytes),
        Invalid(name: "a second response after a complete one",
                input: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad",
                kind: .unexpectedBytes),
        Invalid(name: "a CRLF after a complete body", input: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\n",
                kind: .unexpectedBytes),
        Invalid(name: "bytes after the last chunk", input: chunked + "0\r\n\r\nX", kind: .unexpectedBytes),
        // Bodiless statuses and HEAD
        Invalid(name: "a non-zero Content-Length on a 204 (RFC 9110 §8.6)",
                input: "HTTP/1.1 204 No Content\r\nContent-Length: 74\r\n\r\n", kind: .malformed),
        Invalid(name: "a 204 with Content-Length and its would-be body",
                input: "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello", kind: .malformed),
        Invalid(name: "Transfer-Encoding on a 204 (RFC 9112 §6.1)",
                input: "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", kind: .malformed),
        Invalid(name: "a body after a 204", input: "HTTP/1.1 204 No Content\r\n\r\nsurprise", kind: .unexpectedBytes),
        Invalid(name: "a body after a 304", input: "HTTP/1.1 304 Not Modified\r\nContent-Length: 4\r\n\r\nbody",
                kind: .unexpectedBytes),
        Invalid(name: "a body on a response to HEAD", input: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", methods: [.HEAD],
                kind: .unexpectedBytes),
        Invalid(name: "a non-zero Content-Length on a 100", input: "HTTP/1.1 100 Continue\r\nContent-Length: 3\r\n\r\nabc",
                kind: .malformed),
        Invalid(name: "101 Switching Protocols, never asked for",
                input: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", kind: .switchingProtocols),
        // Status line
        Invalid(name: "HTTP/2.0 in the status line", input: "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", kind: .versionNotSupported),
        Invalid(name: "HTTP/2 in the status line", input: "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n", kind: .malformed),
        Invalid(name: "not HTTP at all", input: "SSH-2.0-OpenSSH_9.6\r\n\r\n", kind: .malformed),
        Invalid(name: "a lowercase version", input: "http/1.1 200 OK\r\n\r\n", kind: .malformed),
        Invalid(name: "HTTP/0.9-style bare body", input: "<html>hello</html>\r\n\r\n", kind: .malformed),
        Invalid(name: "no space after the version", input: "HTTP/1.1200 OK\r\n\r\n", kind: .malformed),
        Invalid(name: "a two-digit status code", input: "HTTP/1.1 20 OK\r\n\r\n", kind: .malformed),
        Invalid(name: "a four-digit status code", input: "HTTP/1.1 2000 OK\r\n\r\n", kind: .malformed),
        Invalid(name: "status 600", input: "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n", kind: .malformed),
        Invalid(name: "status 099", input: "HTTP/1.1 099 Odd\r\n\r\n", kind: .malformed),
        Invalid(name: "a NUL in the reason phrase", input: "HTTP/1.1 200 O\u{0}K\r\nContent-Length: 0\r\n\r\n", kind: .malformed),
        Invalid(name: "an empty line before the status line", input: "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                kind: .malformed),
        // Field lines
        Invalid(name: "a status line ending in a bare LF", input: "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", kind: .malformed),
        Invalid(name: "a field line ending in a bare LF", input: "HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 0\r\n\r\n",
                kind: .malformed),
        Invalid(name: "a head ending in bare LFs", input: "HTTP/1.1 200 OK\r\nContent-Length: 0\n\n", kind: .malformed),
        Invalid(name: "a bare CR inside a value", input: "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", kind: .malformed),
        Invalid(name: "a NUL inside a value", input: "HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\nContent-Length: 0\r\n\r\n", kind: .malformed),
        Invalid(name: "a NUL inside a name", input: "HTTP/1.1 200 OK\r\nX-\u{0}A: b\r\nContent-Length: 0\r\n\r\n", kind: .malformed),
        Invalid(name: "a folded field line (obs-fold)", input: "HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 0\r\n\r\n",
                kind: .malformed),
        Invalid(name: "whitespace before the colon", input: "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", kind: .malformed),
        Invalid(name: "an empty field name", input: "HTTP/1.1 200 OK\r\n: a\r\n\r\n", kind: .malformed),
        Invalid(name: "a field line without a colon", input: "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", kind: .malformed),
        // Where no response is owed, and closes
        Invalid(name: "bytes before any request", input: "HTTP/1.1 200 OK\r\n\r\n", methods: [], kind: .unexpectedBytes),
        Invalid(name: "a close inside the head", input: "HTTP/1.1 200 OK\r\nContent-Le", eof: true, kind: .truncated),
        Invalid(name: "a close before any byte", input: "", eof: true, kind: .truncated),
        Invalid(name: "a 100 Continue and a close", input: "HTTP/1.1 100 Continue\r\n\r\n", eof: true, kind: .truncated),
    ]

    @Test(arguments: invalid)
    func refusesWholeAndByteByByte(_ c: Invalid) {
        for step in [0, 1, 7] {
            #expect(throws: ResponseParseError.self) { try parse(c.input, methods: c.methods, step: step, eof: c.eof) }
            do {
                _ = try parse(c.input, methods: c.methods, step: step, eof: c.eof)
            } catch {
                #expect((error as? ResponseParseError)?.kind == c.kind, "step \(step): \(error)")
            }
        }
    }

    // MARK: Limits

    @Test func aHeadOverTheLimitIsRefusedWholeAndInPieces() {
        let limits = ResponseParser.Limits(maxHeadBytes: 256)
        let big = Array(("HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "b", count: 300) + "\r\nContent-Length: 0\r\n\r\n").utf8)
        for step in [0, 1, 7] {
            #expect(throws: ResponseParseError(.headTooLarge, "the response head exceeds max_upstream_header_bytes")) {
                try parse(big, step: step, limits: limits)
            }
        }
        // A head that never ends is refused once it passes the limit, without waiting for its end.
        let endless = Array(("HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "b", count: 300)).utf8)
        #expect(throws: ResponseParseError.self) { try parse(endless, limits: limits) }
        // Exactly at the limit is fine.
        let fitting = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: "
        let exact = fitting + String(repeating: "p", count: 256 - fitting.utf8.count - 4) + "\r\n\r\n"
        #expect(exact.utf8.count == 256)
        #expect((try? parse(Array(exact.utf8), limits: limits)) == ["head 200 1.1 [Content-Length=0,X-Pad=\(String(repeating: "p", count: 256 - fitting.utf8.count - 4))]", "end"])
    }

    @Test func interimHeadsCountTowardTheLimit() {
        let limits = ResponseParser.Limits(maxHeadBytes: 256)
        let hint = "HTTP/1.1 103 Early Hints\r\nLink: </" + String(repeating: "a", count: 60) + ".css>\r\n\r\n"
        let input = String(repeating: hint, count: 4) + "HTTP/1.1 204 No Content\r\n\r\n"
        #expect(throws: ResponseParseError.self) { try parse(Array(input.utf8), limits: limits) }
        #expect((try? parse(Array((hint + "HTTP/1.1 204 No Content\r\n\r\n").utf8), limits: limits))?.count == 3)
    }

    @Test func trailersAreHeldToTheHeadLimit() {
        let limits = ResponseParser.Limits(maxHeadBytes: 128)
        let input = Self.chunked + "0\r\n" + String(repeating: "X-T: 1234567890\r\n", count: 10) + "\r\n"
        #expect(throws: ResponseParseError.self) { try parse(Array(input.utf8), limits: limits) }
    }

    /// The error, and whether there is one, never depends on how the network cut the bytes: each limit is checked
    /// on the bytes within it only.
    @Test func limitsGiveTheSameAnswerWholeAndInPieces() throws {
        let limits = ResponseParser.Limits(maxHeadBytes: 256)
        func kinds(_ input: String) -> Set<String> {
            Set([0, 1, 2, 7, 255].map { step in
                do {
                    return "ok \(try parse(Array(input.utf8), step: step, limits: limits))"
                } catch {
                    return "\((error as? ResponseParseError)?.kind.rawValue ?? "?")"
                }
            })
        }
        // A bare LF past the head limit: the head is too large, whether or not the LF has arrived.
        let pad = String(repeating: "p", count: 300)
        #expect(kinds("HTTP/1.1 200 OK\r\nX-Pad: \(pad)\nContent-Length: 0\r\n\r\n") == ["headTooLarge"])
        // The same in the trailers.
        #expect(kinds(Self.chunked + "0\r\nX-T: \(pad)\n\r\n") == ["headTooLarge"])
        // A chunk-size line of exactly 4096 bytes is read, even when its CR and LF arrive apart.
        let extensionBytes = String(repeating: "e", count: 4096 - 2)
        let longLine = Self.chunked + "5;\(extensionBytes)\r\nhello\r\n0\r\n\r\n"
        #expect(kinds(longLine) == ["ok [\"head 200 1.1 [Transfer-Encoding=chunked]\", \"body hello\", \"end\"]"])
        // One byte more is refused, however it arrives.
        #expect(kinds(Self.chunked + "5;\(extensionBytes)e\r\nhello\r\n0\r\n\r\n") == ["malformed"])
    }

    // MARK: Behaviour

    @Test func bodyPartsAreSlicesOfTheInput() throws {
        var parser = ResponseParser()
        parser.expectResponse(to: .GET)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        let base = buffer.withUnsafeReadableBytes { $0.baseAddress! }
        guard case .head = try parser.next(from: &buffer) else { Issue.record("no head"); return }
        guard case .body(let body) = try parser.next(from: &buffer) else { Issue.record("no body"); return }
        #expect(body.withUnsafeReadableBytes { $0.baseAddress! } == base + 38)
        #expect(try parser.next(from: &buffer) == .end)
        #expect(parser.isIdle)
    }

    @Test func afterAnErrorEveryCallFails() throws {
        var parser = ResponseParser()
        parser.expectResponse(to: .GET)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")
        #expect(throws: ResponseParseError.self) { try parser.next(from: &buffer) }
        var good = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(throws: ResponseParseError.self) { try parser.next(from: &good) }
        #expect(throws: ResponseParseError.self) { try parser.finish() }
        #expect(!parser.isIdle)
    }

    @Test func aCloseDelimitedBodyIsKnownAsSuch() throws {
        var parser = ResponseParser()
        parser.expectResponse(to: .GET)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\nabc")
        _ = try parser.next(from: &buffer)
        #expect(parser.endsAtClose)
        _ = try parser.next(from: &buffer)
        #expect(try parser.next(from: &buffer) == nil)
        #expect(try parser.finish() == .end)
        #expect(try parser.finish() == nil)
    }

    @Test func theStatusAndVersionAreRead() throws {
        var parser = ResponseParser()
        parser.expectResponse(to: .GET)
        var buffer = ByteBuffer(string: "HTTP/1.0 404 Gone Fishing\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
        guard case .head(let head) = try parser.next(from: &buffer) else { Issue.record("no head"); return }
        #expect(head.status == .notFound)
        #expect(head.version == .http1_0)
        #expect(head.isKeepAlive)
    }
}
