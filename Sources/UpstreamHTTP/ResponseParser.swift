import NIOCore
import NIOHTTP1

/// An incremental, strict HTTP/1.1 response parser (RFC 9112) for one upstream connection. It is told the method of
/// each request sent (`expectResponse(to:)`), fed the connection's bytes, and hands out one part per call:
/// interim (1xx) heads, the final head, body parts as slices of the input (no copy; chunked bodies decoded) and the
/// end. It holds no buffer and does no I/O, so a test or a fuzzer can feed it any bytes in any pieces.
///
/// Strict wherever a lenient reading would let the proxy and the upstream disagree on where a response ends
/// (response splitting, a poisoned connection pool): bare CR or LF, NUL and other control bytes, folded field
/// lines, whitespace before a field's colon, a status line that is not HTTP/1.x, `Content-Length` values that
/// disagree or are not a number, `Content-Length` next to `Transfer-Encoding`, a transfer coding other than one
/// final chunked, a non-zero `Content-Length` (or any `Transfer-Encoding`) on a 1xx or 204, and any byte where no
/// response is owed (after a complete response, or before a request) are all errors. After an error the parser
/// stays failed: the connection must be closed. The deliberate leniencies are listed on `decodeHead`.
public struct ResponseParser: Sendable {
    public struct Limits: Sendable, Equatable {
        /// The longest response head (status line and fields with their line ends), counting the interim heads
        /// that came before it; also bounds a chunked body's trailer section.
        public var maxHeadBytes: Int

        public init(maxHeadBytes: Int = 64 << 10) {
            self.maxHeadBytes = maxHeadBytes
        }
    }

    /// What one call hands out.
    public enum Part: Equatable, Sendable {
        /// An interim response (1xx other than 101): the final head is still to come.
        case informational(HTTPResponseHead)
        case head(HTTPResponseHead)
        case body(ByteBuffer)
        case end
    }

    /// How the body of a final response is delimited (RFC 9112 §6.3).
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
        /// No length and not chunked: the body ends when the connection closes (rule 8).
        case untilClose
    }

    enum State: Equatable {
        /// No response is owed: any byte is an error.
        case idle
        /// A response is owed; `bodiless` when it answers a HEAD.
        case head(bodiless: Bool)
        /// The head had no body: the next part is `.end`.
        case endPending
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        /// After the last chunk: trailer fields (checked, then dropped) up to the empty line.
        case trailers(bytes: Int)
        case untilClose
        /// The connection ended (`finish()` was called).
        case closed
        case failed
    }

    /// The longest chunk-size line, extensions included.
    static let maxChunkLine = 4096

    public let limits: Limits
    private(set) var state = State.idle
    /// Bytes of the head (from the reader index) already split into complete lines.
    private var scanned = 0
    /// Bytes of the interim heads of the response being read (they count toward the head limit).
    private var interimBytes = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// No response is owed: a request may be sent (and the parser told with `expectResponse(to:)`).
    public var isIdle: Bool { self.state == .idle }

    /// The body being read ends only when the connection closes; the connection cannot be reused after it.
    public var endsAtClose: Bool { self.state == .untilClose }

    /// A request was sent with `method`: the next bytes are its response. A response to HEAD has no body
    /// (RFC 9110 §9.3.2). Must be called only while `isIdle`.
    public mutating func expectResponse(to method: HTTPMethod) {
        precondition(self.state == .idle, "a response is expected only after the previous one ended")
        self.state = .head(bodiless: method == .HEAD)
        self.scanned = 0
        self.interimBytes = 0
    }

    /// Takes the next part out of `buffer` (moving its reader index), or nil when more bytes are needed (or none
    /// are owed and none came). Throws `ResponseParseError` only; after that every call throws again.
    public mutating func next(from buffer: inout ByteBuffer) throws -> Part? {
        do {
            return try self.step(&buffer)
        } catch {
            self.state = .failed
            throw error
        }
    }

    /// The connection closed (EOF): `.end` when that ends the response (a body delimited by the close, RFC 9112
    /// §6.3 rule 8), nil when no response was owed, and a `.truncated` error when the response was cut short.
    /// Call it after `next` has taken every part of the bytes received.
    public mutating func finish() throws -> Part? {
        switch self.state {
        case .idle, .closed:
            self.state = .closed
            return nil
        case .endPending, .untilClose:
            self.state = .closed
            return .end
        case .failed:
            throw ResponseParseError.malformed("the connection's response stream already failed")
        case .head:
            self.state = .failed
            let inside = self.scanned > 0 || self.interimBytes > 0
            throw ResponseParseError(.truncated, inside ? "the connection closed inside the response head" : "the connection closed before a response")
        case .fixed, .chunkSize, .chunkData, .chunkDataEnd:
            self.state = .failed
            throw ResponseParseError(.truncated, "the connection closed inside the response body")
        case .trailers:
            self.state = .failed
            throw ResponseParseError(.truncated, "the connection closed inside the trailer section")
        }
    }

    private mutating func step(_ buffer: inout ByteBuffer) throws -> Part? {
        while true {
            switch self.state {
            case .failed:
                throw ResponseParseError.malformed("the connection's response stream already failed")
            case .idle, .closed:
                guard buffer.readableBytes == 0 else {
                    throw ResponseParseError(.unexpectedBytes, "bytes where no response was owed (after the end of the last one)")
                }
                return nil
            case .head(let bodiless):
                return try self.readHead(&buffer, bodiless: bodiless)
            case .endPending:
                self.state = .idle
                return .end
            case .fixed(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                self.state = count == remaining ? .endPending : .fixed(remaining: remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                self.state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else {
                    if buffer.readableBytes == 1, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) != .cr {
                        throw ResponseParseError.malformed("chunk data is not followed by CRLF")
                    }
                    return nil
                }
                guard buffer.readInteger(as: UInt16.self) == .crlf else {
                    throw ResponseParseError.malformed("chunk data is not followed by CRLF")
                }
                self.state = .chunkSize
            case .chunkSize:
                guard let line = try ResponseSyntax.nextLine(in: buffer, within: Self.maxChunkLine + 2) else {
                    if buffer.readableBytes > Self.maxChunkLine + 2 { throw ResponseParseError.malformed("chunk-size line too long") }
                    return nil
                }
                let size = try buffer.withUnsafeReadableBytes {
                    try ResponseSyntax.chunkSize(UnsafeRawBufferPointer(rebasing: $0[0..<line.length]))
                }
                buffer.moveReaderIndex(forwardBy: line.consumed)
                self.state = size == 0 ? .trailers(bytes: 0) : .chunkData(remaining: size)
            case .trailers(let bytes):
                let allowance = self.limits.maxHeadBytes - bytes
                guard let line = try ResponseSyntax.nextLine(in: buffer, within: allowance) else {
                    if buffer.readableBytes > allowance {
                        throw ResponseParseError(.headTooLarge, "trailer fields exceed max_upstream_header_bytes")
                    }
                    return nil
                }
                if line.length == 0 {
                    buffer.moveReaderIndex(forwardBy: line.consumed)
                    self.state = .idle
                    return .end
                }
                // Trailer fields are checked like header fields, then dropped (RFC 9110 §6.5.1 allows it).
                try buffer.withUnsafeReadableBytes { bytes in
                    _ = try ResponseSyntax.fieldLine(UnsafeRawBufferPointer(rebasing: bytes[0..<line.length]))
                }
                buffer.moveReaderIndex(forwardBy: line.consumed)
                self.state = .trailers(bytes: bytes + line.consumed)
            }
        }
    }

    // MARK: Head

    private mutating func readHead(_ buffer: inout ByteBuffer, bodiless: Bool) throws -> Part? {
        // Only the bytes the head may still take are looked at: a longer head is refused whatever follows, so the
        // error cannot depend on how much of the rest has arrived (a bare LF past the limit is `headTooLarge`
        // whether the bytes came whole or in pieces).
        let allowance = self.limits.maxHeadBytes - self.interimBytes
        let (found, resume) = try buffer.withUnsafeReadableBytes {
            try ResponseSyntax.findHeadEnd(UnsafeRawBufferPointer(rebasing: $0.prefix(allowance)), from: self.scanned)
        }
        guard let headLength = found else {
            self.scanned = resume
            if buffer.readableBytes > allowance {
                throw ResponseParseError(.headTooLarge, "the response head exceeds max_upstream_header_bytes")
            }
            return nil
        }
        self.scanned = 0
        let (head, framing) = try buffer.withUnsafeReadableBytes {
            try Self.decodeHead(UnsafeRawBufferPointer(rebasing: $0[0..<headLength]), bodiless: bodiless)
        }
        buffer.moveReaderIndex(forwardBy: headLength)
        if head.status.code < 200 {
            // RFC 9110 §15.2: interim responses precede the final one, which is still owed.
            self.interimBytes += headLength
            return .informational(head)
        }
        switch framing {
        case .none, .length(0): self.state = .endPending
        case .length(let length): self.state = .fixed(remaining: length)
        case .chunked: self.state = .chunkSize
        case .untilClose: self.state = .untilClose
        }
        return .head(head)
    }
}
