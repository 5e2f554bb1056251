import HTTPRequestParsing
import NIOCore
import NIOHTTP1
import Testing

/// Feeds `input` to a parser `step` bytes at a time (0: all at once) and describes every part it hands out.
private func parse(_ input: String, step: Int = 0, limits: RequestParser.Limits = .init()) throws -> [String] {
    var parser = RequestParser(limits: limits)
    var buffer = ByteBuffer()
    var parts: [String] = []
    let bytes = Array(input.utf8)
    var offset = 0
    var body = ""
    repeat {
        let end = step == 0 ? bytes.count : min(bytes.count, offset + step)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        while let part = try parser.next(from: &buffer) {
            switch part {
            case .head(let head):
                let fields = head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
                parts.append("head \(head.method.rawValue) \(head.uri) \(head.version.major).\(head.version.minor) [\(fields)]")
            case .body(var chunk):
                // Bodies may arrive in any number of slices; they are joined per message.
                body += chunk.readString(length: chunk.readableBytes)!
            case .end:
                if !body.isEmpty { parts.append("body \(body)") }
                body = ""
                parts.append("end")
            }
        }
    } while offset < bytes.count
    return parts
}

private func parseError(_ input: String, step: Int = 0, limits: RequestParser.Limits = .init()) -> RequestParseError? {
    do {
        _ = try parse(input, step: step, limits: limits)
        return nil
    } catch {
        return error as? RequestParseError
    }
}

@Suite struct RequestParserTests {
    struct Valid: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String
        let parts: [String]
        var testDescription: String { self.name }
    }

    static let valid: [Valid] = [
        Valid(name: "a plain GET", input: "GET /voices?a=1 HTTP/1.1\r\nHost: api\r\n\r\n",
              parts: ["head GET /voices?a=1 1.1 [Host=api]", "end"]),
        Valid(name: "HTTP/1.0 without fields", input: "GET / HTTP/1.0\r\n\r\n", parts: ["head GET / 1.0 []", "end"]),
        Valid(name: "empty lines before the request line are ignored", input: "\r\n\r\nHEAD /x HTTP/1.1\r\nHost: a\r\n\r\n",
              parts: ["head HEAD /x 1.1 [Host=a]", "end"]),
        Valid(name: "whitespace around a value is trimmed, inner kept", input: "GET / HTTP/1.1\r\nHost: h\r\nX-A: \t one  two \t\r\nX-B:\r\n\r\n",
              parts: ["head GET / 1.1 [Host=h,X-A=one  two,X-B=]", "end"]),
        Valid(name: "field order and repeats are kept", input: "GET / HTTP/1.1\r\nHost: h\r\nVary: a\r\nvary: b\r\n\r\n",
              parts: ["head GET / 1.1 [Host=h,Vary=a,vary=b]", "end"]),
        Valid(name: "a Content-Length body", input: "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
              parts: ["head POST /u 1.1 [Host=h,Content-Length=5]", "body hello", "end"]),
        Valid(name: "Content-Length 0 has no body", input: "PUT /u HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
              parts: ["head PUT /u 1.1 [Host=h,Content-Length=0]", "end"]),
        Valid(name: "equal Content-Length values are one length", input: "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nok",
              parts: ["head POST /u 1.1 [Host=h,Content-Length=2, 2,content-length=2]", "body ok", "end"]),
        Valid(
            name: "a chunked body with extensions and trailers",
            input: "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;name=\"v\"\r\nhello\r\n6 \r\n world\r\n0\r\nX-Sum: 1\r\n\r\n",
            parts: ["head POST /u 1.1 [Host=h,Transfer-Encoding=chunked]", "body hello world", "end"]
        ),
        Valid(name: "chunked in any case, with an empty list element", input: "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , CHUNKED\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
              parts: ["head POST /u 1.1 [Host=h,Transfer-Encoding=, CHUNKED]", "body 0123456789", "end"]),
        Valid(name: "two pipelined requests", input: "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
              parts: ["head GET /a 1.1 [Host=h]", "end", "head GET /b 1.1 [Host=h]", "end"]),
        Valid(name: "an unregistered method", input: "PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n", parts: ["head PURGE /x 1.1 [Host=h]", "end"]),
        Valid(name: "methods are case-sensitive", input: "get /x HTTP/1.1\r\nHost: h\r\n\r\n", parts: ["head get /x 1.1 [Host=h]", "end"]),
        Valid(name: "an authority-form target parses (the proxy refuses it)", input: "CONNECT a.example:443 HTTP/1.1\r\nHost: h\r\n\r\n",
              parts: ["head CONNECT a.example:443 1.1 [Host=h]", "end"]),
        Valid(name: "HTTP/1.2 is read as HTTP/1.x", input: "GET / HTTP/1.2\r\nHost: h\r\n\r\n", parts: ["head GET / 1.2 [Host=h]", "end"]),
    ]

    @Test(arguments: valid)
    func parsesWholeAndByteByByte(_ c: Valid) throws {
        #expect(try parse(c.input) == c.parts)
        #expect(try parse(c.input, step: 1) == c.parts)
        #expect(try parse(c.input, step: 7) == c.parts)
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String
        let kind: RequestParseError.Kind
        var testDescription: String { self.name }
    }

    static let invalid: [Invalid] = [
        Invalid(name: "HTTP/1.1 without Host (RFC 9112 §3.2)", input: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", kind: .malformed),
        Invalid(name: "two Host fields", input: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", kind: .malformed),
        Invalid(name: "two Host fields in HTTP/1.0", input: "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", kind: .malformed),
        Invalid(name: "a field line without a colon", input: "GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", kind: .malformed),
        Invalid(name: "whitespace before the colon (RFC 9112 §5.1)", input: "GET / HTTP/1.1\r\nHost : a\r\n\r\n", kind: .malformed),
        Invalid(name: "a folded field line (obs-fold)", input: "GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n", kind: .malformed),
        Invalid(name: "a line ending in a bare LF", input: "GET / HTTP/1.1\nHost: a\r\n\r\n", kind: .malformed),
        Invalid(name: "a bare CR inside a value", input: "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", kind: .malformed),
        Invalid(name: "a NUL inside a value", input: "GET / HTTP/1.1\r\nX-A: a\u{0}b\r\n\r\n", kind: .malformed),
        Invalid(name: "an empty field name", input: "GET / HTTP/1.1\r\n: a\r\n\r\n", kind: .malformed),
        Invalid(name: "two spaces after the method", input: "GET  / HTTP/1.1\r\n\r\n", kind: .malformed),
        Invalid(name: "no method", input: " / HTTP/1.1\r\n\r\n", kind: .malformed),
        Invalid(name: "a space inside the target", input: "GET /a b HTTP/1.1\r\n\r\n", kind: .malformed),
        Invalid(name: "a non-ASCII byte in the target", input: "GET /caf\u{e9} HTTP/1.1\r\n\r\n", kind: .malformed),
        Invalid(name: "no version", input: "GET /\r\n\r\n", kind: .malformed),
        Invalid(name: "a lowercase version", input: "GET / http/1.1\r\n\r\n", kind: .malformed),
        Invalid(name: "a space after the version", input: "GET / HTTP/1.1 \r\n\r\n", kind: .malformed),
        Invalid(name: "HTTP/2.0 over an HTTP/1 connection", input: "GET / HTTP/2.0\r\n\r\n", kind: .versionNotSupported),
        Invalid(name: "Content-Length and Transfer-Encoding together (smuggling)",
                input: "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", kind: .malformed),
        Invalid(name: "Content-Length values that disagree in one field", input: "POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\n", kind: .malformed),
        Invalid(name: "Content-Length fields that disagree",
                input: "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", kind: .malformed),
        Invalid(name: "a signed Content-Length", input: "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n", kind: .malformed),
        Invalid(name: "an empty Content-Length", input: "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", kind: .malformed),
        Invalid(name: "a 19-digit Content-Length", input: "POST / HTTP/1.1\r\nContent-Length: 1000000000000000000\r\n\r\n", kind: .malformed),
        Invalid(name: "Transfer-Encoding in HTTP/1.0", input: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", kind: .malformed),
        Invalid(name: "chunked not the final coding", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", kind: .malformed),
        Invalid(name: "an empty Transfer-Encoding", input: "POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", kind: .malformed),
        Invalid(name: "chunked twice", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                kind: .malformed),
        Invalid(name: "a coding before chunked", input: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                kind: .codingNotImplemented),
        Invalid(name: "a chunk size that is not hex", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", kind: .malformed),
        Invalid(name: "a chunk size with a sign", input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", kind: .malformed),
        Invalid(name: "a chunk size past 15 hex digits",
                input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", kind: .malformed),
        Invalid(name: "chunk data longer than its size",
                input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", kind: .malformed),
        Invalid(name: "a trailer without a colon",
                input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a field\r\n\r\n", kind: .malformed),
        // RFC 9110 §7.2: Host = uri-host [ ":" port ] (issue 12: the host is keyed and forwarded).
        Invalid(name: "a Host with userinfo", input: "GET / HTTP/1.1\r\nHost: user@evil.example\r\n\r\n", kind: .malformed),
        Invalid(name: "a Host with userinfo and a password", input: "GET / HTTP/1.1\r\nHost: u:p@h\r\n\r\n", kind: .malformed),
        Invalid(name: "a Host with an inner space", input: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", kind: .malformed),
        Invalid(name: "a Host with a path", input: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", kind: .malformed),
        Invalid(name: "a Host with a non-numeric port", input: "GET / HTTP/1.1\r\nHost: a:x\r\n\r\n", kind: .malformed),
        Invalid(name: "a Host with a bad percent-encoding", input: "GET / HTTP/1.1\r\nHost: a%4\r\n\r\n", kind: .malformed),
        Invalid(name: "a Host with an unclosed IP literal", input: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", kind: .malformed),
        Invalid(name: "a Host with a name in an IP literal", input: "GET / HTTP/1.1\r\nHost: [evil.example]\r\n\r\n", kind: .malformed),
        Invalid(name: "a Host with non-ASCII", input: "GET / HTTP/1.1\r\nHost: caf\u{e9}\r\n\r\n", kind: .malformed),
    ]

    static let validHosts = ["a", "example.com:8080", "127.0.0.1", "[::1]", "[::1]:443", "a-b_c~d.e", "a%41", "", "h:"]

    @Test(arguments: validHosts)
    func acceptsHost(_ host: String) throws {
        #expect(try parse("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n").count == 2)
    }

    @Test func moreFieldsThanTheLimitIs431() {
        let limits = RequestParser.Limits(maxFields: 3)
        #expect(parseError("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)?.kind == .headTooLarge)
        #expect((try? parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits))?.count == 2)
    }

    @Test func tellsWhetherABodyFollowsTheHead() throws {
        for (input, expected) in [
            ("GET / HTTP/1.1\r\nHost: h\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", true),
        ] {
            var parser = RequestParser()
            var buffer = ByteBuffer(string: input)
            guard case .head = try parser.next(from: &buffer) else { Issue.record("no head"); return }
            #expect(parser.expectsBody == expected, "\(input)")
        }
    }

    @Test(arguments: invalid)
    func rejects(_ c: Invalid) {
        #expect(parseError(c.input)?.kind == c.kind)
    }

    @Test func statusesOfTheErrorKinds() {
        #expect(RequestParseError(.malformed, "").status == .badRequest)
        #expect(RequestParseError(.targetTooLong, "").status == .uriTooLong)
        #expect(RequestParseError(.headTooLarge, "").status == .requestHeaderFieldsTooLarge)
        #expect(RequestParseError(.versionNotSupported, "").status == .httpVersionNotSupported)
        #expect(RequestParseError(.codingNotImplemented, "").status == .notImplemented)
    }

    @Test func headOverTheLimitIs431AndARequestLineOverItIs414() {
        let limits = RequestParser.Limits(maxHeadBytes: 1024)
        let big = String(repeating: "a", count: 2000)
        #expect(parseError("GET / HTTP/1.1\r\nX-Big: \(big)\r\n\r\n", limits: limits)?.kind == .headTooLarge)
        // Still incomplete, but already over the limit: no need to wait for the rest.
        #expect(parseError("GET / HTTP/1.1\r\nX-Big: \(big)", limits: limits)?.kind == .headTooLarge)
        #expect(parseError("GET /\(big)", limits: limits)?.kind == .targetTooLong)
        #expect(parseError("GET /\(big) HTTP/1.1\r\n\r\n", limits: limits)?.kind == .targetTooLong)
        #expect(parseError("GET /\(big) HTTP/1.1\r\nHost: a", limits: limits)?.kind == .targetTooLong)
        // A head just within the limit is fine.
        let fits = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "b", count: 1024 - 32) + "\r\n\r\n"
        #expect(fits.utf8.count == 1024)
        #expect((try? parse(fits, limits: limits))?.count == 2)
        let over = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "b", count: 1024 - 31) + "\r\n\r\n"
        #expect(parseError(over, limits: limits)?.kind == .headTooLarge)
    }

    @Test func trailersOverTheLimitAreRefused() {
        let limits = RequestParser.Limits(maxHeadBytes: 256)
        let trailer = "X-T: " + String(repeating: "t", count: 300) + "\r\n"
        let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + trailer + "\r\n"
        #expect(parseError(input, limits: limits)?.kind == .headTooLarge)
    }

    @Test func aFailedParserStaysFailed() throws {
        var parser = RequestParser()
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\nBad\r\n\r\n")
        #expect(throws: RequestParseError.self) { _ = try parser.next(from: &buffer) }
        var good = ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")
        #expect(throws: RequestParseError.self) { _ = try parser.next(from: &good) }
    }

    @Test func waitsForMoreBytesAndTellsWhenAMessageStarts() throws {
        var parser = RequestParser()
        #expect(parser.isAtMessageStart)
        var buffer = ByteBuffer(string: "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab")
        guard case .head = try parser.next(from: &buffer) else { Issue.record("no head"); return }
        #expect(!parser.isAtMessageStart)
        guard case .body(let first) = try parser.next(from: &buffer) else { Issue.record("no body"); return }
        #expect(first.readableBytes == 2)
        #expect(try parser.next(from: &buffer) == nil)
        buffer.writeString("cdGET")
        guard case .body(let second) = try parser.next(from: &buffer) else { Issue.record("no body"); return }
        #expect(second.readableBytes == 2)
        guard case .end = try parser.next(from: &buffer) else { Issue.record("no end"); return }
        #expect(parser.isAtMessageStart)
        // The next request's first bytes stay in the buffer until its head is complete.
        #expect(try parser.next(from: &buffer) == nil)
        #expect(buffer.readableBytes == 3)
    }

    /// Found by fuzz/ (request-parser): the error must not depend on how the network cut the bytes.
    struct Cut: CustomTestStringConvertible, Sendable {
        let name: String
        let input: String
        let maxHeadBytes: Int
        /// nil: the input is valid (its parts are then compared across the cuts).
        let kind: RequestParseError.Kind?
        var testDescription: String { self.name }
    }

    static let cuts: [Cut] = [
        Cut(name: "a bare LF past the head limit is 431, not 400 when the head arrives whole",
            input: "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 80) + "\nb\r\n\r\n", maxHeadBytes: 64,
            kind: .headTooLarge),
        Cut(name: "a bare LF inside the head limit is 400 however it arrives",
            input: "GET / HTTP/1.1\nHost: h\r\nX: " + String(repeating: "a", count: 80) + "\r\n\r\n", maxHeadBytes: 64,
            kind: .malformed),
        Cut(name: "a request line past the limit is 414 however it arrives",
            input: "GET /" + String(repeating: "a", count: 80) + " HTTP/1.1\nHost: h\r\n\r\n", maxHeadBytes: 64,
            kind: .targetTooLong),
        Cut(name: "a trailer with a bare LF past the head limit is 431",
            input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "
                + String(repeating: "t", count: 80) + "\n\r\n", maxHeadBytes: 64, kind: .headTooLarge),
        Cut(name: "a chunk-size line of exactly 4096 bytes is read when its CR and LF arrive apart",
            input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 4094)
                + "\r\nx\r\n0\r\n\r\n", maxHeadBytes: 1024, kind: nil),
        Cut(name: "a chunk-size line of 4097 bytes is refused",
            input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 4095)
                + "\r\nx\r\n0\r\n\r\n", maxHeadBytes: 1024, kind: .malformed),
    ]

    @Test(arguments: cuts)
    func theOutcomeDoesNotDependOnHowTheBytesArrive(_ c: Cut) throws {
        let limits = RequestParser.Limits(maxHeadBytes: c.maxHeadBytes)
        // Whole, and every step from 1 to 9 bytes (with step 1 the CR of a line end arrives before its LF).
        for step in [0] + Array(1...9) {
            if let kind = c.kind {
                #expect(parseError(c.input, step: step, limits: limits)?.kind == kind, "step \(step)")
            } else {
                #expect(try parse(c.input, step: step, limits: limits) == parse(c.input, limits: limits), "step \(step)")
            }
        }
    }

    @Test func bodySlicesShareTheInputBytes() throws {
        var parser = RequestParser()
        var buffer = ByteBuffer(string: "PUT /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
        _ = try parser.next(from: &buffer)
        guard case .body(let body) = try parser.next(from: &buffer) else { Issue.record("no body"); return }
        let sameStorage = body.withUnsafeReadableBytes { slice in
            buffer.withVeryUnsafeBytes { whole in slice.baseAddress! >= whole.baseAddress! && slice.baseAddress! < whole.baseAddress! + whole.count }
        }
        #expect(sameStorage)
    }
}

