import NIOCore
import NIOHTTP1

/// How a response body is delimited on the client connection.
enum BodyFraming {
    /// `Content-Length` is set: body bytes go out as they are.
    case contentLength
    /// HTTP/1.1 without a length: chunked transfer coding.
    case chunked
    /// HTTP/1.0 without a length: the body ends when the connection closes.
    case closeDelimited
    /// HEAD, 1xx, 204 and 304 responses carry no body.
    case none
}

/// Response heads and body framing written straight to the socket. The proxy encodes its own responses: a hit
/// is one buffer for the head (status line, the stored header block encoded once at store time, `Age` and
/// `Cache-Status`) followed by the stored body buffers, with no `HTTPHeaders` copy or per-field validation.
enum ResponseWire {
    static let crlf: StaticString = "\r\n"
    static let lastChunk = ByteBuffer(string: "0\r\n\r\n")
    static let chunkEnd = ByteBuffer(string: "\r\n")

    /// Decides the framing and adds `transfer-encoding: chunked` when needed.
    static func framing(
        status: Int,
        headers: inout HTTPHeaders,
        requestMethod: HTTPMethod,
        version: HTTPVersion,
        keepAlive: inout Bool
    ) -> BodyFraming {
        if requestMethod == .HEAD || status < 200 || status == 204 || status == 304 { return .none }
        if headers.contains(name: "content-length") { return .contentLength }
        if version.major == 1 && version.minor >= 1 {
            headers.add(name: "transfer-encoding", value: "chunked")
            return .chunked
        }
        keepAlive = false
        return .closeDelimited
    }

    static func writeStatusLine(_ status: HTTPResponseStatus, version: HTTPVersion, into buffer: inout ByteBuffer) {
        if version.major == 1 && version.minor == 1 {
            buffer.writeStaticString("HTTP/1.1 ")
        } else {
            buffer.writeString("HTTP/\(version.major).\(version.minor) ")
        }
        buffer.writeString(String(status.code))
        buffer.writeInteger(UInt8(ascii: " "))
        let reason = status.reasonPhrase
        // NIO's parser keeps no reason phrase and names only the codes it knows; RFC 9112 §4 allows an empty
        // one, but the registered phrase reads better.
        buffer.writeString(reason.isEmpty ? Self.registeredReasons[Int(status.code)] ?? "" : reason)
        buffer.writeStaticString(Self.crlf)
    }

    /// Reason phrases of registered codes that `HTTPResponseStatus` does not name.
    static let registeredReasons: [Int: String] = [103: "Early Hints", 425: "Too Early"]

    static func writeHeaders(_ headers: HTTPHeaders, into buffer: inout ByteBuffer) {
        for (name, value) in headers {
            self.writeField(name, value, into: &buffer)
        }
    }

    @inline(__always)
    /// An integer in decimal ASCII, written in place (no string).
    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let start = buffer.writerIndex
        buffer.writeRepeatingByte(UInt8(ascii: "0"), count: digits)
        var index = start + digits
        repeat {
            index -= 1
            buffer.setInteger(UInt8(ascii: "0") + UInt8(magnitude % 10), at: index)
            magnitude /= 10
        } while magnitude > 0
    }

    static func writeField(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString(Self.crlf)
    }

    static func encodeHead(_ head: HTTPResponseHead, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256 + head.headers.count * 32)
        self.writeStatusLine(head.status, version: head.version, into: &buffer)
        self.writeHeaders(head.headers, into: &buffer)
        buffer.writeStaticString(Self.crlf)
        return buffer
    }

    static func chunkHeader(size: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 12)
        buffer.writeString(String(size, radix: 16))
        buffer.writeStaticString(Self.crlf)
        return buffer
    }
}
