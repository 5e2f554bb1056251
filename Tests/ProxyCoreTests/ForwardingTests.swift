import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// What reaches the upstream and what comes back: prefixes, headers, streamed bodies.
@Suite struct ForwardingTests {
    @Test func prefixIsStrippedAndForwardingHeadersAreAdded() async throws {
        let config = """
            [[upstream]]
            name = "api"
            prefix = "/api"
            url = "{UPSTREAM}/test"
            """
        try await withHarness(config) { h in
            let reply = try await h.get(
                "/api/echo?x=1",
                headers: [("connection", "keep-alive, x-hop"), ("x-hop", "secret"), ("x-custom", "kept"), ("te", "trailers")]
            )
            #expect(reply.status == 200)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
            #expect(json["path"] as? String == "/test/echo")
            let headers = (json["headers"] as? [[String]] ?? []).map { ($0[0].lowercased(), $0[1]) }
            func value(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
            #expect(value("host") == "127.0.0.1:\(h.upstream.port)")
            #expect(value("x-forwarded-for") == "127.0.0.1")
            #expect(value("x-forwarded-proto") == "http")
            #expect(value("via")?.contains("reprise") == true)
            #expect(value("x-custom") == "kept")
            #expect(value("x-hop") == nil)
            #expect(value("te") == nil)
            #expect(reply.headers.first(name: "via")?.contains("reprise") == true)
        }
    }

    @Test func aBodyLargerThanMaxObjectStreamsIntactAndIsNotStored() async throws {
        let config = """
            [cache]
            memory = "16MiB"
            max_object = "1MiB"
            """
        try await withHarness(config) { h in
            let size = 3_000_001
            let path = "/test/large?bytes=\(size)&cc=\(q("max-age=60"))"
            let first = try await h.get(path)
            #expect(first.status == 200)
            #expect(first.body.readableBytes == size)
            var matches = true
            first.body.withUnsafeReadableBytes { bytes in
                for index in stride(from: 0, to: size, by: 997) where bytes[index] != UInt8(index % 251) { matches = false }
            }
            #expect(matches)
            #expect(first.cacheStatus.contains("detail=too-large"))
            let second = try await h.get(path)
            #expect(!second.isHit)
            #expect(h.upstream.requestCount("GET", "/test/large") == 2)
        }
    }

    @Test func aChunkedBodyOverMaxObjectIsNotStoredEither() async throws {
        let config = """
            [cache]
            memory = "16MiB"
            max_object = "256KiB"
            """
        try await withHarness(config) { h in
            let path = "/test/large?bytes=1000000&chunked=1&cc=\(q("max-age=60"))"
            let first = try await h.get(path)
            #expect(first.body.readableBytes == 1_000_000)
            #expect(!(try await h.get(path)).isHit)
            #expect(h.server.store.statistics.entries == 0)
        }
    }

    @Test func aLargeUploadStreamsToTheUpstreamByteForByte() async throws {
        try await withHarness("[server]\nlisten = \"127.0.0.1:0\"\nmax_request_body = \"64MiB\"\n") { h in
            // 12 MiB of a repeating 256-byte block: cheap to build in a debug test, and the checksum is arithmetic.
            let block = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let repeats = 12 << 12
            let size = block.count * repeats
            var body = ByteBuffer()
            body.reserveCapacity(size)
            for _ in 0..<repeats { body.writeBytes(block) }
            let checksum = UInt32(truncatingIfNeeded: block.reduce(0) { $0 + Int($1) } * repeats)
            let reply = try await h.request(.POST, "/test/upload", headers: [("content-type", "application/octet-stream")], body: body)
            #expect(reply.status == 200)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(reply.text.utf8)) as? [String: Any])
            #expect((json["bytes"] as? Int) == size)
            #expect((json["checksum"] as? Int).map(UInt32.init) == checksum)
        }
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() async throws {
        try await withHarness { h in
            let path = "/test/cache?cc=\(q("max-age=60"))"
            let request = "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n"
            let (text, _) = try await RawClient.exchange(
                port: h.server.port,
                bytes: request + request + "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            #expect(text.components(separatedBy: "HTTP/1.1 200").count == 4)
            #expect(text.components(separatedBy: "; hit").count == 3)
        }
    }

    @Test func aClientThatLeavesMidStreamLeavesNoPartialEntry() async throws {
        try await withHarness { h in
            // 61 chunks, 20 ms apart: the client leaves after about four of them.
            let path = "/test/large?bytes=4000000&chunk_delay_ms=20&cc=\(q("max-age=60"))"
            let read = try await RawClient.abandon(
                port: h.server.port,
                bytes: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(h.server.port)\r\n\r\n",
                after: 200_000
            )
            #expect(read >= 200_000 && read < 4_000_000)
            // Whatever the timing, nothing partial is ever stored: no entry, or the complete body.
            #expect(h.server.store.entries().allSatisfy { $0.bodyLength == 4_000_000 })
            let full = try await h.get(path)
            #expect(full.body.readableBytes == 4_000_000)
            #expect(try await h.get(path).isHit)
        }
    }
}
