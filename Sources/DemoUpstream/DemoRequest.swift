import NIOCore
import NIOHTTP1

/// What the routes see of a request once its body has been consumed.
struct DemoRequest {
    // MARK: Body

    enum Body {
        case none
        /// The whole body, for the small JSON bodies that routes parse.
        case bytes(ByteBuffer)
        case multipart([MultipartPart])
        /// Only counted (and summed), never held.
        case counted(bytes: Int, checksum: UInt32)
        case malformed(String)
        case tooLarge
    }

    // MARK: Properties

    let head: HTTPRequestHead
    let path: String
    let query: String?
    let queryItems: [(String, String)]
    /// How many requests this path has seen, this one included (1-based).
    let requestNumber: Int
    var body: Body
    /// How the fake can be reached ("http://127.0.0.1:8123"), for URLs that point back at it.
    let origin: String

    init(head: HTTPRequestHead, path: String, query: String?, requestNumber: Int, body: Body, origin: String) {
        self.head = head
        self.path = path
        self.query = query
        self.queryItems = query.map(Self.parseQuery) ?? []
        self.requestNumber = requestNumber
        self.body = body
        self.origin = origin
    }

    // MARK: Accessors

    var method: HTTPMethod { self.head.method }

    func header(_ name: String) -> String? {
        self.head.headers.first(name: name)
    }

    func query(_ name: String) -> String? {
        self.queryItems.first { $0.0 == name }?.1
    }

    func intQuery(_ name: String) -> Int? {
        self.query(name).flatMap { Int($0) }
    }

    /// The body parsed as a JSON object; nil when absent or not an object.
    var jsonObject: [String: Any]? {
        guard case .bytes(let buffer) = self.body else { return nil }
        return JSON.decode(buffer) as? [String: Any]
    }

    var bodyByteCount: Int {
        switch self.body {
        case .bytes(let buffer): return buffer.readableBytes
        case .counted(let bytes, _): return bytes
        case .multipart(let parts): return parts.reduce(0) { $0 + $1.size }
        case .none, .malformed, .tooLarge: return 0
        }
    }

    // MARK: URI helpers

    static func splitURI(_ uri: String) -> (path: String, query: String?) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, nil) }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }

    static func parseQuery(_ query: String) -> [(String, String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (self.percentDecode(pair[0]), pair.count > 1 ? self.percentDecode(pair[1]) : "")
        }
    }

    static func percentDecode<S: StringProtocol>(_ text: S) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else {
                    bytes.append(byte)
                    continue
                }
                bytes.append(value)
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

// MARK: - Body sink

/// Consumes a request body as it streams in, keeping only what the route needs.
struct BodySink {
    enum Mode: Equatable {
        case count
        case collect
        case multipart(boundary: String)
        case checksum
    }

    static let collectLimit = 32 << 20

    private enum State {
        case counting(Int)
        case collecting(ByteBuffer?, overflowed: Bool)
        case parsing(MultipartParser)
        case summing(Int, UInt32)
    }

    private var state: State
    private var sawBody = false

    init(mode: Mode) {
        switch mode {
        case .count: self.state = .counting(0)
        case .collect: self.state = .collecting(nil, overflowed: false)
        case .multipart(let boundary): self.state = .parsing(MultipartParser(boundary: boundary))
        case .checksum: self.state = .summing(0, 0)
        }
    }

    // MARK: Consuming

    mutating func consume(_ buffer: ByteBuffer) {
        self.sawBody = true
        switch self.state {
        case .counting(let count):
            self.state = .counting(count + buffer.readableBytes)
        case .collecting(var collected, let overflowed):
            self.state = .counting(0)  // release the buffer so the append below does not copy
            if overflowed || (collected?.readableBytes ?? 0) + buffer.readableBytes > Self.collectLimit {
                self.state = .collecting(nil, overflowed: true)
            } else if collected == nil {
                self.state = .collecting(buffer, overflowed: false)
            } else {
                var incoming = buffer
                collected!.writeBuffer(&incoming)
                self.state = .collecting(collected, overflowed: false)
            }
        case .parsing(var parser):
            self.state = .counting(0)
            parser.feed(buffer)
            self.state = .parsing(parser)
        case .summing(let count, var sum):
            buffer.withUnsafeReadableBytes { bytes in
                for byte in bytes { sum &+= UInt32(byte) }
            }
            self.state = .summing(count + buffer.readableBytes, sum)
        }
    }

    mutating func finish() -> DemoRequest.Body {
        switch self.state {
        case .counting(let count):
            return self.sawBody ? .counted(bytes: count, checksum: 0) : .none
        case .collecting(let collected, let overflowed):
            if overflowed { return .tooLarge }
            return collected.map { .bytes($0) } ?? .none
        case .parsing(var parser):
            guard let parts = parser.finish() else { return .malformed("malformed multipart body") }
            return .multipart(parts)
        case .summing(let count, let sum):
            return .counted(bytes: count, checksum: sum)
        }
    }
}

// MARK: - Form body

/// The fields and files of a multipart/form-data body, or the fields of a JSON object body.
struct FormBody {
    var fields: [String: String] = [:]
    var files: [MultipartPart] = []

    static func parse(_ request: DemoRequest) -> Checked<FormBody> {
        var form = FormBody()
        switch request.body {
        case .multipart(let parts):
            for part in parts {
                if part.isFile {
                    form.files.append(part)
                } else if let name = part.name {
                    form.fields[name] = part.text
                }
            }
        case .bytes:
            // FastAPI reads a JSON object here; anything else leaves the fields empty, so the route answers 422.
            for (name, value) in request.jsonObject ?? [:] {
                form.fields[name] = (value as? String) ?? JSON.string(value)
            }
        case .malformed:
            return .rejected(
                DemoResponse.json(
                    .badRequest,
                    ["detail": "There was an error parsing the body"],
                    headers: [("server", "uvicorn")]
                )
            )
        case .tooLarge:
            return .rejected(DemoResponse.payloadTooLarge())
        case .none, .counted:
            break
        }
        return .passed(form)
    }
}
