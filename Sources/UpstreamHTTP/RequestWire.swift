import NIOCore
import NIOHTTP1

/// Upstream requests on the wire, encoded by the connection itself (no `HTTPRequestEncoder` in the pipeline): the
/// head in one buffer, written straight from the caller's fields without a framed copy of them, then the body parts
/// as they are or in chunks. The framing follows what NIO's encoder decided before (so upstreams see the same bytes):
///
/// - a body the caller streams, with neither `Content-Length` nor `Transfer-Encoding`, is sent chunked: the
///   upstream must be able to tell where it ends, whatever the method;
/// - `TRACE` carries no body: both framing fields are left out;
/// - with `Content-Length`, any `Transfer-Encoding` is left out and the body goes as it is;
/// - `POST`, `PUT` and `PATCH` without a length are chunked (HTTP/1.1);
/// - any other method is chunked only when its `Transfer-Encoding` says `chunked`;
/// - an HTTP/1.0 request is never chunked (Reprise's upstream requests are HTTP/1.1; NIO wrote the field then, but
///   not the chunks).
public enum RequestWire {
    public enum Framing: Equatable, Sendable {
        case none
        case contentLength
        case chunked
    }

    static let crlf: StaticString = "\r\n"
    static let lastChunk = ByteBuffer(string: "0\r\n\r\n")
    static let chunkEnd = ByteBuffer(string: "\r\n")

    /// The head of `head` as it goes upstream, with `Host: hostHeader` when it has none, and how its body is framed.
    public static func encodeHead(
        _ head: HTTPRequestHead,
        hostHeader: String,
        streamsBody: Bool,
        allocator: ByteBufferAllocator
    ) -> (buffer: ByteBuffer, framing: Framing) {
        let headers = head.headers
        var hasHost = false
        var hasLength = false
        var firstEncoding: String?
        for (name, value) in headers {
            switch name.utf8.count {
            case 4 where !hasHost: hasHost = Self.equals(name, "host")
            case 14 where !hasLength: hasLength = Self.equals(name, "content-length")
            case 17 where firstEncoding == nil && Self.equals(name, "transfer-encoding"): firstEncoding = value
            default: break
            }
        }
        let http11 = head.version.major == 1 && head.version.minor >= 1
        // The caller streams a body with nothing to frame it: chunked.
        let addChunked = streamsBody && !hasLength && firstEncoding == nil
        let framing: Framing
        let keepLength: Bool
        let keepEncoding: Bool
        /// `Transfer-Encoding: chunked` is written after the caller's fields.
        let writeChunkedField: Bool
        switch head.method {
        case .TRACE:
            (framing, keepLength, keepEncoding, writeChunkedField) = (.none, false, false, false)
        case .POST, .PUT, .PATCH:
            if hasLength {
                (framing, keepLength, keepEncoding, writeChunkedField) = (.contentLength, true, false, false)
            } else if http11 {
                // Replaced by one `chunked`, whatever the caller's value said.
                (framing, keepLength, keepEncoding, writeChunkedField) = (.chunked, true, false, true)
            } else {
                (framing, keepLength, keepEncoding, writeChunkedField) = (.none, true, true, false)
            }
        default:
            if hasLength {
                (framing, keepLength, keepEncoding, writeChunkedField) = (.contentLength, true, false, false)
            } else if http11, addChunked {
                (framing, keepLength, keepEncoding, writeChunkedField) = (.chunked, true, true, true)
            } else if http11, firstEncoding == "chunked" {
                (framing, keepLength, keepEncoding, writeChunkedField) = (.chunked, true, true, false)
            } else {
                (framing, keepLength, keepEncoding, writeChunkedField) = (.none, true, true, false)
            }
        }

        var buffer = allocator.buffer(capacity: 128 + head.uri.utf8.count + headers.count * 40)
        buffer.writeString(head.method.rawValue)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.uri)
        if head.version.major == 1 && head.version.minor == 1 {
            buffer.writeStaticString(" HTTP/1.1\r\n")
        } else {
            buffer.writeString(" HTTP/\(head.version.major).\(head.version.minor)\r\n")
        }
        if !hasHost { Self.writeField("Host", hostHeader, into: &buffer) }
        for (name, value) in headers {
            switch name.utf8.count {
            case 14 where !keepLength && Self.equals(name, "content-length"): continue
            case 17 where !keepEncoding && Self.equals(name, "transfer-encoding"): continue
            default: Self.writeField(name, value, into: &buffer)
            }
        }
        if writeChunkedField { Self.writeField("Transfer-Encoding", "chunked", into: &buffer) }
        buffer.writeStaticString(Self.crlf)
        return (buffer, framing)
    }

    /// A chunk's size line (`chunkEnd` follows its bytes).
    static func chunkHeader(size: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 12)
        buffer.writeString(String(size, radix: 16))
        buffer.writeStaticString(Self.crlf)
        return buffer
    }

    @inline(__always)
    private static func writeField(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString(Self.crlf)
    }

    /// ASCII case-insensitive equality with a lower-case `lower` (the response parser's `equalsLowercased`).
    @inline(__always)
    private static func equals(_ name: String, _ lower: StaticString) -> Bool {
        var name = name
        return name.withUTF8 { UnsafeRawBufferPointer($0).equalsLowercased(lower) }
    }
}
