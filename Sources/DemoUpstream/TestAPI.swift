import NIOCore
import NIOHTTP1

/// Helpers for end-to-end tests and benchmarks: configurable cache headers, echo, large and slow bodies, uploads.
struct TestAPI {
    // MARK: Properties

    let state: DemoState

    /// b[i] = i % 251 for a whole chunk plus one period, so any chunk of the pattern is a slice of it.
    private static let pattern: ByteBuffer = {
        var buffer = DemoResponse.allocator.buffer(capacity: (64 << 10) + 251)
        for index in 0..<((64 << 10) + 251) { buffer.writeInteger(UInt8(index % 251)) }
        return buffer
    }()

    // MARK: /test/counts

    /// GET /test/counts: `{"total": N, "requests": {"GET /v1/voices": 2, …}}`, every request that reached the fake
    /// (this one included), for tests that run it in another process (`reprise upstream`).
    func counts() -> DemoResponse {
        DemoResponse.json(.ok, ["total": self.state.totalRequests(), "requests": self.state.allCounts()])
    }

    // MARK: /test/cache

    /// GET /test/cache?cc=&etag=&lm=&lm_age=&vary=&expires=&status=&age=&location=&content_location=&set_cookie=
    /// &content_encoding=&size=&delay_ms=&hints=: the query decides the response headers; validators make conditional requests answer
    /// 304.
    func cache(_ request: DemoRequest) -> DemoResponse {
        var headers = HTTPHeaders([("content-type", "text/plain; charset=utf-8")])
        let etag = request.query("etag").map(Self.quotedETag)
        var lastModified = request.query("lm")
        if lastModified == nil, let age = request.intQuery("lm_age") {
            lastModified = HTTPDate.format(HTTPDate.nowSeconds() - Int64(age))
        }
        let mapping: [(String, String?)] = [
            ("cache-control", request.query("cc")), ("etag", etag), ("last-modified", lastModified),
            ("vary", request.query("vary")), ("expires", request.query("expires")), ("age", request.query("age")),
            ("location", request.query("location")), ("content-location", request.query("content_location")),
            ("set-cookie", request.query("set_cookie")), ("cdn-cache-control", request.query("cdn_cc")),
            ("reprise-cache-control", request.query("reprise_cc")),
            // A label only: the body is not encoded (a coding no one can decode, for the store's coding rules).
            ("content-encoding", request.query("content_encoding")),
        ]
        for case let (name, value?) in mapping { headers.add(name: name, value: value) }
        headers.add(name: "x-request-number", value: String(request.requestNumber))

        var response: DemoResponse
        if self.isNotModified(request, etag: etag, lastModified: lastModified) {
            headers.remove(name: "content-type")
            response = DemoResponse(status: .notModified, headers: headers)
        } else {
            let status = HTTPResponseStatus(statusCode: request.intQuery("status") ?? 200)
            var text = "cache-test \(request.head.uri)"
            if let size = request.intQuery("size"), size >= 0 {
                text = text.count >= size
                    ? String(decoding: Array(text.utf8).prefix(size), as: UTF8.self)
                    : text + String(repeating: ".", count: size - text.utf8.count)
            }
            let hasBody = status != .noContent && status != .notModified
            response = DemoResponse(
                status: status,
                headers: headers,
                body: hasBody ? .full(DemoResponse.allocator.buffer(string: text)) : .empty
            )
        }
        response.headDelay = .milliseconds(Int64(max(0, request.intQuery("delay_ms") ?? 0)))
        // &hints=N: N × 103 Early Hints (each with a `Link` preload) before the response.
        for index in 0..<min(max(0, request.intQuery("hints") ?? 0), 8) {
            let link = "</style-\(index).css>; rel=preload; as=style"
            response.interim.append((HTTPResponseStatus(statusCode: 103, reasonPhrase: "Early Hints"), HTTPHeaders([("link", link)])))
        }
        return response
    }

    /// RFC 9110 §13.1.2 / §13.1.3: If-None-Match (weak comparison) wins over If-Modified-Since.
    private func isNotModified(_ request: DemoRequest, etag: String?, lastModified: String?) -> Bool {
        let candidates = request.head.headers[canonicalForm: "if-none-match"].map { $0.trimmingSpaces() }
        if !candidates.isEmpty {
            guard let etag else { return false }
            return candidates.contains("*") || candidates.contains { Self.weakTag($0) == Self.weakTag(etag) }
        }
        guard let lastModified, let since = request.header("if-modified-since"),
            let sinceSeconds = HTTPDate.parse(since), let modified = HTTPDate.parse(lastModified)
        else { return false }
        return sinceSeconds >= modified
    }

    private static func weakTag(_ tag: String) -> String {
        tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
    }

    /// `v1` → `"v1"`; values already quoted (or weak) are kept as given.
    private static func quotedETag(_ value: String) -> String {
        value.hasPrefix("\"") || value.hasPrefix("W/\"") ? value : "\"\(value)\""
    }

    // MARK: /test/echo

    func echo(_ request: DemoRequest) -> DemoResponse {
        DemoResponse.json(
            .ok,
            [
                "method": request.method.rawValue,
                "path": request.path,
                "query": request.query ?? "",
                "headers": request.head.headers.map { [$0.name, $0.value] },
                "body_bytes": request.bodyByteCount,
            ]
        )
    }

    // MARK: /test/large

    /// N bytes of the i % 251 pattern in 64 KiB chunks, each written after the previous write completed.
    func large(_ request: DemoRequest) -> DemoResponse {
        let total = max(0, request.intQuery("bytes") ?? 0)
        let body = StreamedBody.sized(
            total: total,
            chunkSize: 64 << 10,
            chunked: request.query("chunked") == "1",
            delay: .milliseconds(Int64(max(0, request.intQuery("chunk_delay_ms") ?? 0)))
        ) { offset, length in
            Self.pattern.getSlice(at: offset % 251, length: length)!
        }
        var headers = HTTPHeaders([("content-type", "application/octet-stream")])
        if let cacheControl = request.query("cc") { headers.add(name: "cache-control", value: cacheControl) }
        if let etag = request.query("etag") { headers.add(name: "etag", value: Self.quotedETag(etag)) }
        headers.add(name: "x-request-number", value: String(request.requestNumber))
        return DemoResponse(status: .ok, headers: headers, body: total == 0 ? .full(ByteBuffer()) : .streamed(body))
    }

    // MARK: /test/upload, /test/slow, /test/hang

    func upload(_ request: DemoRequest) -> DemoResponse {
        var bytes = 0
        var checksum: UInt32 = 0
        if case .counted(let count, let sum) = request.body {
            bytes = count
            checksum = sum
        }
        return DemoResponse.json(.ok, ["bytes": bytes, "checksum": checksum])
    }

    func slow(_ request: DemoRequest) -> DemoResponse {
        let milliseconds = max(0, request.intQuery("ms") ?? 0)
        var response = DemoResponse.text(.ok, "slow \(milliseconds)")
        if let cacheControl = request.query("cc") { response.headers.add(name: "cache-control", value: cacheControl) }
        response.headers.add(name: "x-request-number", value: String(request.requestNumber))
        response.headDelay = .milliseconds(Int64(milliseconds))
        return response
    }

    func hang() -> DemoResponse {
        DemoResponse(status: .ok, body: .never)
    }

    // MARK: /bench/{bytes}

    /// A precomputed body per size, cacheable for an hour; If-None-Match on its ETag answers 304.
    func bench(_ request: DemoRequest, bytes: Int) -> DemoResponse {
        let etag = "\"bench-\(bytes)\""
        var headers = HTTPHeaders()
        headers.reserveCapacity(6)
        headers.add(name: "cache-control", value: "public, max-age=3600")
        headers.add(name: "etag", value: etag)
        if request.header("if-none-match") == etag {
            return DemoResponse(status: .notModified, headers: headers)
        }
        headers.add(name: "content-type", value: "application/octet-stream")
        return DemoResponse(status: .ok, headers: headers, body: .full(self.state.benchBody(size: bytes)))
    }

    /// `POST /bench/{bytes}`: the request body is read and dropped, the answer is `bytes` bytes of JSON that no cache
    /// may store (what a backend's write returns).
    func benchWrite(bytes: Int) -> DemoResponse {
        var headers = HTTPHeaders()
        headers.add(name: "cache-control", value: "no-store")
        headers.add(name: "content-type", value: "application/json")
        return DemoResponse(status: .ok, headers: headers, body: .full(self.state.benchJSON(size: bytes)))
    }
}
