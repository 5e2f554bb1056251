import Foundation
import NIOCore
import NIOHTTP1

/// A response as a value: the handler writes it (after `headDelay`), then calls `onFinish`.
struct DemoResponse {
    // MARK: Body

    enum Body {
        case empty
        case full(ByteBuffer)
        case streamed(StreamedBody)
        /// Never answer (for client timeout tests); the connection stays open until the client closes it.
        case never
    }

    // MARK: Properties

    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: Body
    var headDelay: TimeAmount = .zero
    /// Interim (1xx) responses sent before the final head, e.g. 103 Early Hints.
    var interim: [(status: HTTPResponseStatus, headers: HTTPHeaders)] = []
    /// Runs once, when the last byte was written or the connection went away first.
    var onFinish: (@Sendable () -> Void)? = nil

    init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: Body = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    // MARK: Builders

    static let allocator = ByteBufferAllocator()

    static func json(_ status: HTTPResponseStatus, _ object: Any, headers: [(String, String)] = []) -> DemoResponse {
        var all = HTTPHeaders([("content-type", "application/json")])
        for (name, value) in headers { all.replaceOrAdd(name: name, value: value) }
        return DemoResponse(status: status, headers: all, body: .full(JSON.encode(object)))
    }

    static func text(_ status: HTTPResponseStatus, _ text: String, contentType: String = "text/plain; charset=utf-8")
        -> DemoResponse
    {
        DemoResponse(
            status: status,
            headers: HTTPHeaders([("content-type", contentType)]),
            body: .full(Self.allocator.buffer(string: text))
        )
    }

    /// FastAPI's default 404 for an unknown route.
    static func notFound() -> DemoResponse {
        self.json(.notFound, ["detail": "Not Found"], headers: [("server", "uvicorn")])
    }

    static func methodNotAllowed() -> DemoResponse {
        self.json(.methodNotAllowed, ["detail": "Method Not Allowed"], headers: [("server", "uvicorn")])
    }

    /// FastAPI's 422 for a missing required field.
    static func validationError(field: String, location: String = "body") -> DemoResponse {
        let detail: [String: Any] = [
            "type": "missing", "loc": [location, field], "msg": "Field required", "input": NSNull(),
        ]
        return self.json(.unprocessableEntity, ["detail": [detail]], headers: [("server", "uvicorn")])
    }

    static func payloadTooLarge() -> DemoResponse {
        self.json(.payloadTooLarge, ["detail": "Request body too large"], headers: [("server", "uvicorn")])
    }

    // MARK: Modifiers

    func adding(_ name: String, _ value: String) -> DemoResponse {
        var copy = self
        copy.headers.add(name: name, value: value)
        return copy
    }
}

/// A check's outcome: the value to go on with, or the response that ends the request.
enum Checked<Value> {
    case passed(Value)
    case rejected(DemoResponse)
}

/// A body written chunk by chunk: the next chunk is made and written only when the previous write completed.
struct StreamedBody {
    /// nil: chunked transfer encoding.
    var contentLength: Int?
    var chunkCount: Int
    var chunkDelay: TimeAmount = .zero
    var makeChunk: (Int) -> ByteBuffer

    /// `total` bytes cut into `chunkSize` pieces; `bytes(offset, length)` makes each piece.
    static func sized(
        total: Int,
        chunkSize: Int,
        chunked: Bool,
        delay: TimeAmount = .zero,
        bytes: @escaping (Int, Int) -> ByteBuffer
    ) -> StreamedBody {
        StreamedBody(
            contentLength: chunked ? nil : total,
            chunkCount: (total + chunkSize - 1) / chunkSize,
            chunkDelay: delay,
            makeChunk: { index in
                let offset = index * chunkSize
                return bytes(offset, min(chunkSize, total - offset))
            }
        )
    }
}

// MARK: - JSON

/// JSON through Foundation, with sorted keys so equal values always give equal bytes.
enum JSON {
    static func encode(_ object: Any) -> ByteBuffer {
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: options) else {
            return DemoResponse.allocator.buffer(string: "null")
        }
        return DemoResponse.allocator.buffer(bytes: data)
    }

    static func string(_ object: Any) -> String {
        String(buffer: self.encode(object))
    }

    static func decode(_ buffer: ByteBuffer) -> Any? {
        let data = Data(buffer.readableBytesView)
        return try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }
}
