import CompressNIO
import NIOCore
import NIOHTTP1

/// Content codings on the way out (README, design change 11): Reprise stores one representation, as the upstream
/// sent it, and never sends a client a coding the client did not accept. A gzip or deflate body goes to a client
/// that did not accept it decompressed, as Varnish does; the same stored entry serves both kinds of client.
enum ContentCoding {
    /// The response's content coding, lower-cased (`gzip`, `br`, `gzip, br`); nil for none or `identity`.
    static func of(_ headers: HTTPHeaders) -> String? {
        let values = headers[canonicalForm: "content-encoding"].map { $0.lowercased() }.filter { $0 != "identity" }
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// RFC 9110 §12.5.3: whether the request's `Accept-Encoding` accepts `coding` (as `of` names it). A request
    /// without the field accepts no coding here: the RFC lets a server send any, but a client that sent none (curl, a
    /// browser's `fetch` in some modes, `requests` with `Accept-Encoding: identity`) may not decode it.
    static func accepts(_ requestHeaders: HTTPHeaders, coding: String) -> Bool {
        let fields = requestHeaders[canonicalForm: "accept-encoding"]
        guard !fields.isEmpty else { return false }
        var listed: [String: Double] = [:]
        var star: Double?
        for field in fields {
            var parameters = field.split(separator: ";")
            guard let first = parameters.first else { continue }
            let name = Self.trimmed(first).lowercased()
            parameters.removeFirst()
            var weight = 1.0
            for parameter in parameters {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { Self.trimmed($0).lowercased() }
                if pair.count == 2, pair[0] == "q" { weight = Double(pair[1]) ?? 0 }
            }
            if name == "*" {
                star = weight
            } else {
                listed[Self.canonical(name)] = weight
            }
        }
        // Every coding applied must be acceptable (`gzip, br`: both).
        for applied in coding.split(separator: ",").map({ Self.canonical(Self.trimmed($0)) }) {
            let weight = listed[applied] ?? star ?? 0
            if weight <= 0 { return false }
        }
        return true
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// `x-gzip` is `gzip` (RFC 9110 §8.4.1.3).
    private static func canonical(_ name: String) -> String {
        name == "x-gzip" ? "gzip" : name
    }

    /// Whether Reprise can remove `coding` for a client that does not accept it.
    /// A coding Reprise cannot remove may still be sent as it is to a request without `Accept-Encoding`: such a
    /// request accepts any coding (RFC 9110 §12.5.3), and the upstream, asked again, would send the same (it sent
    /// it unasked or without `Vary`). A request that lists codings without this one never gets it.
    static func passesUndecoded(_ requestHeaders: HTTPHeaders, coding: String) -> Bool {
        !Self.isDecodable(coding) && requestHeaders[canonicalForm: "accept-encoding"].isEmpty
    }

    static func isDecodable(_ coding: String) -> Bool {
        Self.algorithm(coding) != nil
    }

    fileprivate static func algorithm(_ coding: String) -> ZlibAlgorithm? {
        switch coding {
        case "gzip", "x-gzip": return .gzip
        // RFC 9110 §8.4.1.2: "deflate" is the zlib format.
        case "deflate": return .zlib
        default: return nil
        }
    }

    /// The fields of a decoded response: no `Content-Encoding` or `Content-Length` (the length changed), a weak
    /// `ETag` (RFC 9110 §8.8.1: another representation of the same resource), and `Vary: Accept-Encoding`.
    static func decodedHeaders(_ headers: HTTPHeaders) -> HTTPHeaders {
        var decoded = headers
        decoded.remove(name: "content-encoding")
        decoded.remove(name: "content-length")
        if let etag = decoded.first(name: "etag"), !etag.hasPrefix("W/") {
            decoded.replaceOrAdd(name: "etag", value: "W/" + etag)
        }
        if !Self.variesOnAcceptEncoding(decoded) {
            decoded.add(name: "vary", value: "Accept-Encoding")
        }
        return decoded
    }

    static func variesOnAcceptEncoding(_ headers: HTTPHeaders) -> Bool {
        headers[canonicalForm: "vary"].contains { $0 == "*" || $0.lowercased() == "accept-encoding" }
    }
}

/// Removes one gzip or deflate layer from a body as it streams (or from stored buffers), in pieces of at most 64 KiB.
/// Confined to one event loop (zlib's stream state is not thread-safe).
final class ContentDecoder {
    private let inflater: ZlibDecompressor
    /// Decoded bytes so far; a body that inflates past `maxOutput` is refused (a decompression bomb).
    private(set) var produced = 0
    let maxOutput: Int

    static let pieceSize = 64 << 10

    init?(coding: String, maxOutput: Int = 1 << 30) {
        guard let algorithm = ContentCoding.algorithm(coding),
            let inflater = try? ZlibDecompressor(algorithm: algorithm)
        else { return nil }
        self.inflater = inflater
        self.maxOutput = maxOutput
    }

    enum Failure: Error {
        case corrupt
        case tooLarge
    }

    /// Decodes `input`, handing each decoded piece to `emit`.
    func decode(_ input: ByteBuffer, allocator: ByteBufferAllocator, emit: (ByteBuffer) -> Void) throws {
        var input = input
        var output = allocator.buffer(capacity: Self.pieceSize)
        while input.readableBytes > 0 {
            let before = (input.readerIndex, output.writerIndex)
            do {
                try self.inflater.inflate(from: &input, to: &output)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                // The piece is full: hand it on and go on with a new one.
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                // All of `input` was taken; zlib waits for the next part.
            } catch {
                throw Failure.corrupt
            }
            let stalled = (input.readerIndex, output.writerIndex) == before
            if output.writableBytes == 0 || input.readableBytes == 0 || stalled {
                try self.flush(&output, allocator: allocator, emit: emit)
                // No progress at all: the stream ended and bytes follow it. They are not part of the body.
                if stalled { break }
            }
        }
        try self.flush(&output, allocator: allocator, emit: emit)
    }

    private func flush(_ output: inout ByteBuffer, allocator: ByteBufferAllocator, emit: (ByteBuffer) -> Void) throws {
        guard output.readableBytes > 0 else { return }
        self.produced += output.readableBytes
        guard self.produced <= self.maxOutput else { throw Failure.tooLarge }
        emit(output)
        output = allocator.buffer(capacity: Self.pieceSize)
    }
}
