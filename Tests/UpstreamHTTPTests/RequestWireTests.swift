import NIOCore
import NIOHTTP1
import Testing
import UpstreamHTTP

/// The request heads the connection writes itself (`RequestWire`): the bytes and the body framing, case by case. The
/// framing is what NIO's `HTTPRequestEncoder` decided when it sat in the pipeline, so upstreams see the same requests.
@Suite struct RequestWireTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        var method: HTTPMethod = .GET
        var version: HTTPVersion = .http1_1
        var uri = "/a?b=c"
        let fields: [(String, String)]
        var streamsBody = false
        /// The field lines written, in order (without the request line and the blank line).
        let lines: [String]
        let framing: RequestWire.Framing
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "a GET: fields as they are, no framing", fields: [("Host", "up"), ("Accept", "*/*")],
             lines: ["Host: up", "Accept: */*"], framing: .none),
        Case(name: "no Host: the upstream's is added first", fields: [("Accept", "*/*")],
             lines: ["Host: upstream.example", "Accept: */*"], framing: .none),
        Case(name: "a host field in any case counts", fields: [("hOsT", "up")], lines: ["hOsT: up"], framing: .none),
        Case(name: "a POST with a length", method: .POST, fields: [("host", "up"), ("content-length", "5")], streamsBody: true,
             lines: ["host: up", "content-length: 5"], framing: .contentLength),
        Case(name: "a POST with a length and Transfer-Encoding: the length wins, the coding is left out", method: .POST,
             fields: [("host", "up"), ("Transfer-Encoding", "chunked"), ("Content-Length", "5")], streamsBody: true,
             lines: ["host: up", "Content-Length: 5"], framing: .contentLength),
        Case(name: "a streamed POST without a length goes chunked", method: .POST, fields: [("host", "up")], streamsBody: true,
             lines: ["host: up", "Transfer-Encoding: chunked"], framing: .chunked),
        Case(name: "a PUT whose coding is not chunked is replaced by chunked", method: .PUT,
             fields: [("host", "up"), ("transfer-encoding", "gzip")], streamsBody: true,
             lines: ["host: up", "Transfer-Encoding: chunked"], framing: .chunked),
        Case(name: "a PATCH without a body or a length is still chunked (its end is the last chunk)", method: .PATCH,
             fields: [("host", "up")], lines: ["host: up", "Transfer-Encoding: chunked"], framing: .chunked),
        Case(name: "a streamed DELETE without a length goes chunked", method: .DELETE, fields: [("host", "up")], streamsBody: true,
             lines: ["host: up", "Transfer-Encoding: chunked"], framing: .chunked),
        Case(name: "a GET that says chunked keeps it", fields: [("host", "up"), ("transfer-encoding", "chunked")], streamsBody: true,
             lines: ["host: up", "transfer-encoding: chunked"], framing: .chunked),
        Case(name: "a GET whose coding is not chunked: sent as it is, unframed", fields: [("host", "up"), ("transfer-encoding", "gzip")],
             streamsBody: true, lines: ["host: up", "transfer-encoding: gzip"], framing: .none),
        Case(name: "a DELETE with a length", method: .DELETE, fields: [("host", "up"), ("content-length", "0")],
             lines: ["host: up", "content-length: 0"], framing: .contentLength),
        Case(name: "TRACE never carries a body: both framing fields are left out", method: .TRACE,
             fields: [("host", "up"), ("content-length", "3"), ("transfer-encoding", "chunked"), ("max-forwards", "2")],
             streamsBody: true, lines: ["host: up", "max-forwards: 2"], framing: .none),
        Case(name: "a RAW method goes as its name", method: .RAW(value: "M-SEARCH"), uri: "*", fields: [("host", "up")],
             lines: ["host: up"], framing: .none),
        Case(name: "HTTP/1.0 POST without a length: unframed", method: .POST, version: .http1_0, fields: [("host", "up")],
             streamsBody: true, lines: ["host: up"], framing: .none),
    ]

    @Test(arguments: cases)
    func theHeadOnTheWire(_ c: Case) {
        let head = HTTPRequestHead(version: c.version, method: c.method, uri: c.uri, headers: HTTPHeaders(c.fields))
        let (buffer, framing) = RequestWire.encodeHead(
            head,
            hostHeader: "upstream.example",
            streamsBody: c.streamsBody,
            allocator: ByteBufferAllocator()
        )
        let text = String(buffer: buffer)
        let version = c.version == .http1_1 ? "HTTP/1.1" : "HTTP/1.0"
        let expected = "\(c.method.rawValue) \(c.uri) \(version)\r\n" + c.lines.map { $0 + "\r\n" }.joined() + "\r\n"
        #expect(text == expected)
        #expect(framing == c.framing)
    }
}
