import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import Observability
import ProxyConfig

/// Answers from the store that are not the stored response as it is: 304 and 412 to client conditionals
/// (RFC 9110 §13), 206 and 416 to ranges (RFC 9110 §14).
extension ProxyHandler {
    func serveNotModified(_ entry: CachedResponse, state: RequestState, now: Double, outcome: RequestOutcome) {
        // RFC 9110 §15.4.5: the fields a 200 would have carried that a 304 must carry.
        var headers = HTTPHeaders(
            Conditional.notModifiedHeaders(from: entry.headers.map { (name: $0.name, value: $0.value) })
                .filter { $0.name.lowercased() != "cache-control" }
                .map { ($0.name, $0.value) }
        )
        if !entry.keyID.isEmpty { headers.add(name: ClientControls.keyField, value: entry.keyID) }
        self.addCacheFields(entry, state: state, now: now, outcome: outcome, to: &headers)
        self.finishFromCache(status: .notModified, headers: headers, body: [], entry: entry, state: state)
    }

    func servePreconditionFailed(state: RequestState, outcome: RequestOutcome) {
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: "0")
        headers.add(name: "cache-status", value: outcome.headerValue)
        self.finishFromCache(status: .preconditionFailed, headers: headers, body: [], entry: nil, state: state)
    }

    func serveUnsatisfiableRange(_ entry: CachedResponse, state: RequestState, now: Double, outcome: RequestOutcome) {
        var headers = HTTPHeaders()
        headers.add(name: "content-range", value: ContentRange.unsatisfied(length: entry.bodyLength))
        headers.add(name: "content-length", value: "0")
        self.addCacheFields(entry, state: state, now: now, outcome: outcome, to: &headers)
        self.finishFromCache(status: .rangeNotSatisfiable, headers: headers, body: [], entry: entry, state: state)
    }

    /// One range → 206 with `Content-Range`; several → 206 `multipart/byteranges` (RFC 9110 §14.6). The parts
    /// are slices of the stored buffers, or of the body's file on disk (no copy either way).
    func serveRanges(_ ranges: [ClosedRange<Int>], of entry: CachedResponse, state: RequestState, now: Double, outcome: RequestOutcome) {
        var headers = entry.headers
        headers.remove(name: "content-length")
        headers.remove(name: "content-range")
        headers.remove(name: "cache-control")
        for name in CachedResponse.fieldsKeptFromClients { headers.remove(name: name) }
        var body: [BodyPart] = []
        if ranges.count == 1, let range = ranges.first {
            headers.add(name: "content-range", value: ContentRange.format(range, length: entry.bodyLength))
            headers.add(name: "content-length", value: String(range.count))
            body = Self.parts(of: entry, range: range)
        } else {
            let boundary = "reprise-\(entry.key.hashValue.magnitude)-\(ranges.count)"
            let contentType = headers.first(name: "content-type")
            headers.replaceOrAdd(name: "content-type", value: "multipart/byteranges; boundary=\(boundary)")
            var length = 0
            for range in ranges {
                var part = "\r\n--\(boundary)\r\n"
                if let contentType { part += "content-type: \(contentType)\r\n" }
                part += "content-range: \(ContentRange.format(range, length: entry.bodyLength))\r\n\r\n"
                body.append(.bytes(ByteBuffer(string: part)))
                body.append(contentsOf: Self.parts(of: entry, range: range))
                length += part.utf8.count + range.count
            }
            let closing = "\r\n--\(boundary)--\r\n"
            body.append(.bytes(ByteBuffer(string: closing)))
            headers.add(name: "content-length", value: String(length + closing.utf8.count))
        }
        self.addCacheFields(entry, state: state, now: now, outcome: outcome, to: &headers)
        self.finishFromCache(status: .partialContent, headers: headers, body: body, entry: entry, state: state)
    }

    /// A piece of an answer made from a stored entry.
    enum BodyPart {
        case bytes(ByteBuffer)
        /// Bytes of the entry's body file: offset in the body, count.
        case file(FileBody, offset: Int, count: Int)
    }

    /// The bytes of `range` of the entry's body: slices of its buffers, or a region of its file.
    static func parts(of entry: CachedResponse, range: ClosedRange<Int>) -> [BodyPart] {
        if let file = entry.file { return [.file(file, offset: range.lowerBound, count: range.count)] }
        return Self.slices(of: entry.body, range: range).map { .bytes($0) }
    }

    private func addCacheFields(_ entry: CachedResponse, state: RequestState, now: Double, outcome: RequestOutcome, to headers: inout HTTPHeaders) {
        for name in state.route.rule?.hitDropHeaders ?? [] { headers.remove(name: name) }
        if let clientCacheControl = state.route.rule?.clientCacheControl {
            headers.replaceOrAdd(name: "cache-control", value: clientCacheControl)
        } else {
            for value in entry.cacheControl { headers.add(name: "cache-control", value: value) }
        }
        headers.add(name: "age", value: String(entry.freshness.ageHeaderValue(now: now)))
        headers.add(name: "cache-status", value: outcome.headerValue)
        if let cost = state.route.rule?.cost, cost.isConfigured {
            headers.add(name: RepriseCost.field, value: RepriseCost.value(outcome.phase, units: entry.savedCost, price: cost.price))
            self.recordSaved(cost, phase: outcome.phase, partition: entry.partition, units: entry.savedCost)
        }
    }

    private func finishFromCache(
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        body: [BodyPart],
        entry: CachedResponse?,
        state: RequestState
    ) {
        self.current = nil
        self.record?.status = Int(status.code)
        self.writeHead(HTTPResponseHead(version: state.head.version, status: status, headers: headers), requestMethod: state.head.method)
        if state.head.method != .HEAD, let context = self.context {
            for part in body {
                switch part {
                case .bytes(let buffer):
                    self.writeBody(buffer, flush: false)
                case .file(let file, let offset, let count):
                    self.record?.bytes += count
                    self.writeFile(file, from: offset, count: count, context: context)
                }
            }
        }
        self.proxy.counters.hits.wrappingAdd(1, ordering: .relaxed)
        // The entry stays alive until the response is out (a body file is closed with its last reference).
        withExtendedLifetime(entry) {}
        self.writeEnd()
    }

    /// The bytes of `range` across the stored buffers, as slices.
    static func slices(of body: [ByteBuffer], range: ClosedRange<Int>) -> [ByteBuffer] {
        var result: [ByteBuffer] = []
        var offset = 0
        for buffer in body {
            let start = max(range.lowerBound, offset)
            let end = min(range.upperBound + 1, offset + buffer.readableBytes)
            if start < end, let slice = buffer.getSlice(at: buffer.readerIndex + start - offset, length: end - start) {
                result.append(slice)
            }
            offset += buffer.readableBytes
            if offset > range.upperBound { break }
        }
        return result
    }
}
