import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import Testing

/// A streamed response kept with its chunk boundaries is copied once into segments of its own, and every chunk is a
/// slice of its segment: no chunk holds a copy (a slice taken before the next write made that write copy the whole
/// segment, so each chunk of a stream pinned a segment-sized copy).
@Suite struct CachedResponsePartsTests {
    static func entry(chunks: Int, size: Int) -> CachedResponse {
        let headers = HTTPHeaders([("content-type", "text/event-stream")])
        let freshness = Freshness(lifetime: 60, source: .maxAge, correctedInitialAge: 0, responseTime: 0)
        let body = (0..<chunks).map { ByteBuffer(repeating: UInt8(truncatingIfNeeded: $0), count: size) }
        return CachedResponse(
            key: "POST /stream",
            target: "/stream",
            partition: "-",
            vary: .empty,
            status: 200,
            headers: headers,
            body: body,
            info: StoredResponseInfo(status: 200, responseHeaders: headers, freshness: freshness),
            tags: [],
            evictAt: 100,
            chunked: true,
            keepingParts: true
        )
    }

    @Test(arguments: [(chunks: 40, size: 16_384), (chunks: 300, size: 1_000), (chunks: 3, size: 700_000)])
    func chunksAreSlicesOfSharedSegments(_ shape: (chunks: Int, size: Int)) {
        let entry = Self.entry(chunks: shape.chunks, size: shape.size)
        let parts = entry.body
        #expect(parts.count == shape.chunks)
        #expect(parts.allSatisfy { $0.readableBytes == shape.size })
        for (index, part) in parts.enumerated() {
            #expect(part.readableBytesView.allSatisfy { $0 == UInt8(truncatingIfNeeded: index) })
        }
        // Consecutive chunks in one segment lie next to each other in memory: none was copied away from it.
        var adjacent = 0
        for index in 1..<parts.count {
            let previous = parts[index - 1].withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) + UInt($0.count) }
            let next = parts[index].withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
            if previous == next { adjacent += 1 }
        }
        let perSegment = max(1, CachedResponse.compactionThreshold / shape.size)
        #expect(adjacent >= parts.count - 1 - parts.count / perSegment - 1, "only \(adjacent) of \(parts.count - 1) chunks follow their predecessor")
    }
}
