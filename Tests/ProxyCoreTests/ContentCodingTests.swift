import CompressNIO
import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// RFC 9110 §12.5.3 `Accept-Encoding` as Reprise reads it (a request without the field accepts no coding), and the
/// decoder that removes gzip and deflate on the way out.
@Suite struct ContentCodingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let acceptEncoding: [String]
        let coding: String
        let accepted: Bool
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "no field accepts no coding", acceptEncoding: [], coding: "gzip", accepted: false),
        Case(name: "an empty field accepts no coding", acceptEncoding: [""], coding: "gzip", accepted: false),
        Case(name: "httpx's default", acceptEncoding: ["gzip, deflate"], coding: "gzip", accepted: true),
        Case(name: "httpx with brotli and zstandard", acceptEncoding: ["gzip, deflate, br, zstd"], coding: "br", accepted: true),
        Case(name: "identity only", acceptEncoding: ["identity"], coding: "gzip", accepted: false),
        Case(name: "q=0 refuses", acceptEncoding: ["gzip;q=0, deflate"], coding: "gzip", accepted: false),
        Case(name: "q=0.000 refuses", acceptEncoding: ["gzip; q=0.000"], coding: "gzip", accepted: false),
        Case(name: "a low weight still accepts", acceptEncoding: ["gzip;q=0.1"], coding: "gzip", accepted: true),
        Case(name: "upper case", acceptEncoding: ["GZIP"], coding: "gzip", accepted: true),
        Case(name: "x-gzip is gzip", acceptEncoding: ["x-gzip"], coding: "gzip", accepted: true),
        Case(name: "a star accepts the rest", acceptEncoding: ["br, *"], coding: "gzip", accepted: true),
        Case(name: "a star does not override a listed q=0", acceptEncoding: ["*, gzip;q=0"], coding: "gzip", accepted: false),
        Case(name: "star q=0 refuses what is not listed", acceptEncoding: ["br, *;q=0"], coding: "gzip", accepted: false),
        Case(name: "two field lines", acceptEncoding: ["br", "gzip"], coding: "gzip", accepted: true),
        Case(name: "two codings applied need both", acceptEncoding: ["gzip"], coding: "gzip, br", accepted: false),
        Case(name: "two codings applied, both accepted", acceptEncoding: ["gzip, br"], coding: "gzip, br", accepted: true),
    ]

    @Test(arguments: cases)
    func accepts(_ c: Case) {
        var headers = HTTPHeaders()
        for value in c.acceptEncoding { headers.add(name: "accept-encoding", value: value) }
        #expect(ContentCoding.accepts(headers, coding: c.coding) == c.accepted)
    }

    @Test func theResponseCodingIsNamedWithoutIdentity() {
        #expect(ContentCoding.of(HTTPHeaders([("content-encoding", "GZIP")])) == "gzip")
        #expect(ContentCoding.of(HTTPHeaders([("content-encoding", "identity")])) == nil)
        #expect(ContentCoding.of(HTTPHeaders()) == nil)
        #expect(ContentCoding.isDecodable("gzip") && ContentCoding.isDecodable("deflate") && !ContentCoding.isDecodable("br"))
    }

    @Test func aBodyDecodesWhateverWayItWasCut() throws {
        var plain = ByteBuffer()
        for index in 0..<200_000 { plain.writeInteger(UInt8(truncatingIfNeeded: index * 7 % 251)) }
        var source = plain
        let compressed = try source.compress(with: .gzip())
        for cut in [1, 7, 1000, compressed.readableBytes] {
            let decoder = try #require(ContentDecoder(coding: "gzip"))
            var out = ByteBuffer()
            var rest = compressed
            while rest.readableBytes > 0, let piece = rest.readSlice(length: min(cut, rest.readableBytes)) {
                try decoder.decode(piece, allocator: ByteBufferAllocator()) { decoded in
                    #expect(decoded.readableBytes <= ContentDecoder.pieceSize)
                    var decoded = decoded
                    out.writeBuffer(&decoded)
                }
            }
            #expect(out == plain, "pieces of \(cut) bytes")
        }
    }

    @Test func garbageAndBombsAreRefused() throws {
        let decoder = try #require(ContentDecoder(coding: "gzip"))
        #expect(throws: ContentDecoder.Failure.self) {
            try decoder.decode(ByteBuffer(string: "this is not gzip at all"), allocator: ByteBufferAllocator()) { _ in }
        }
        var zeros = ByteBuffer(repeating: 0, count: 1 << 20)
        let bomb = try zeros.compress(with: .gzip())
        let small = try #require(ContentDecoder(coding: "gzip", maxOutput: 1 << 16))
        #expect(throws: ContentDecoder.Failure.self) {
            try small.decode(bomb, allocator: ByteBufferAllocator()) { _ in }
        }
    }

    @Test func decodedFieldsLoseTheCodingAndTheLength() {
        let decoded = ContentCoding.decodedHeaders(
            HTTPHeaders([("content-encoding", "gzip"), ("content-length", "10"), ("etag", "\"x\""), ("vary", "Origin")])
        )
        #expect(decoded.first(name: "content-encoding") == nil && decoded.first(name: "content-length") == nil)
        #expect(decoded.first(name: "etag") == "W/\"x\"")
        #expect(decoded[canonicalForm: "vary"] == ["Origin", "Accept-Encoding"])
    }
}
