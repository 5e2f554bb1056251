import CacheStore
import NIOCore
import NIOHTTP1
import Observability
import ProxyConfig

/// Bodies in a content coding the client did not accept (`ContentCoding`), decoded on the way out: stored entries,
/// forwarded responses and coalesced followers alike. The ordinary case (no coding, or an accepted one) never comes
/// here.
extension ProxyHandler {
    /// Answers from a stored entry whose coding (gzip, deflate) the client does not accept: the stored fields minus
    /// the coding and the length, a weak `ETag`, the cache fields, and the body decoded piece by piece (chunked).
    func writeDecoded(_ entry: CachedResponse, state: RequestState, now: Double, outcome: RequestOutcome) {
        guard let coding = entry.contentCoding, let decoder = ContentDecoder(coding: coding) else {
            return self.abortConnection()
        }
        var headers = ContentCoding.decodedHeaders(entry.headers)
        headers.remove(name: "cache-control")
        for name in CachedResponse.fieldsKeptFromClients { headers.remove(name: name) }
        for name in state.route.rule?.hitDropHeaders ?? [] { headers.remove(name: name) }
        if let clientCacheControl = state.route.rule?.clientCacheControl {
            headers.add(name: "cache-control", value: clientCacheControl)
        } else {
            for value in entry.cacheControl { headers.add(name: "cache-control", value: value) }
        }
        headers.add(name: "age", value: String(entry.freshness.ageHeaderValue(now: now)))
        headers.add(name: "cache-status", value: outcome.headerValue)
        if let cost = state.route.rule?.cost, cost.isConfigured {
            headers.add(name: RepriseCost.field, value: RepriseCost.value(outcome.phase, units: entry.savedCost, price: cost.price))
            self.recordSaved(cost, phase: outcome.phase, partition: entry.partition, units: entry.savedCost)
        }
        self.current = nil
        let method = state.head.method
        self.writeHead(
            HTTPResponseHead(
                version: state.head.version,
                status: HTTPResponseStatus(statusCode: entry.status),
                headers: headers
            ),
            requestMethod: method
        )
        if method != .HEAD {
            do {
                for part in entry.body {
                    try decoder.decode(part, allocator: self.allocator) { self.writeBody($0, flush: false) }
                }
            } catch {
                self.proxy.logger.debug("undecodable stored body", metadata: ["error": "\(error)"])
                return self.abortConnection()
            }
        }
        self.proxy.counters.hits.wrappingAdd(1, ordering: .relaxed)
        self.proxy.counters.bytesFromCache.wrappingAdd(entry.bodyLength, ordering: .relaxed)
        if let rule = state.route.rule {
            let bytes = method == .HEAD ? 0 : entry.bodyLength
            self.proxy.tally.recordHit(rule: rule.name, bytes: bytes, cost: entry.savedCost)
        }
        self.writeEnd()
    }

    /// Writes one body part to the client, decoded first when `decoder` is set. A body that does not decode cuts the
    /// connection: the response cannot be completed honestly.
    func writeClientBody(_ buffer: ByteBuffer, decoder: ContentDecoder?, flush: Bool) {
        guard let decoder else { return self.writeBody(buffer, flush: flush) }
        do {
            try decoder.decode(buffer, allocator: self.allocator) { piece in
                self.writeBody(piece, flush: false)
            }
        } catch {
            self.proxy.logger.debug("undecodable response body", metadata: ["error": "\(error)"])
            self.abortConnection()
            return
        }
        if flush { self.context?.flush() }
    }

    /// The response fields for a client that does not accept the response's coding, and the decoder for its body;
    /// the fields unchanged and nil when the client accepts it or Reprise cannot decode it.
    static func decoding(_ headers: HTTPHeaders, for request: HTTPRequestHead) -> (HTTPHeaders, ContentDecoder?) {
        guard let coding = ContentCoding.of(headers), !ContentCoding.accepts(request.headers, coding: coding),
            let decoder = ContentDecoder(coding: coding)
        else { return (headers, nil) }
        return (ContentCoding.decodedHeaders(headers), decoder)
    }
}
