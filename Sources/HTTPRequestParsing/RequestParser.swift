import NIOCore
import NIOHTTP1

/// An incremental, strict HTTP/1.1 request parser (RFC 9112) for the proxy's client side. It is fed the bytes of
/// one connection and hands out the same parts NIO's decoder would (`.head`, `.body`, `.end`), one per call:
/// bodies as slices of the input (no copy), chunked bodies decoded.
///
/// Strict where a lenient reading would let two parsers disagree on where a request ends (request smuggling):
/// bare CR or LF, whitespace before a field's colon, folded field lines, `Content-Length` values that disagree,
/// `Content-Length` next to `Transfer-Encoding`, `Transfer-Encoding` in HTTP/1.0, and a final coding other than
/// chunked are all errors. After an error the parser stays failed: the connection must be closed.
public struct RequestParser: Sendable {
    public struct Limits: Sendable, Equatable {
        /// The longest head: request line and header fields with their line ends (also bounds the trailers).
        public var maxHeadBytes: Int
        /// The most field lines a head may have (431 past it).
        public var maxFields: Int

        public init(maxHeadBytes: Int = 32 << 10, maxFields: Int = 100) {
            self.maxHeadBytes = maxHeadBytes
            self.maxFields = maxFields
        }
    }

    /// How the body of the request being read is delimited.
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    enum State: Equatable {
        /// Between requests, or inside a head that has not fully arrived.
        case head
        /// The head had no body: the next part is `.end`.
        case endPending
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        /// After the last chunk: trailer fields (read and dropped) up to the empty line.
        case trailers(bytes: Int)
        case failed
    }

    /// The longest chunk-size line, extensions included.
    static let maxChunkLine = 4096

    public let limits: Limits
    private(set) var state = State.head
    /// Bytes of the head (from the reader index) already split into complete lines.
    private var scanned = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// True between requests: the next part will be a request head.
    public var isAtMessageStart: Bool { self.state == .head }

    /// Right after a head: true when a body follows (`Content-Length` above 0, or chunked).
    public var expectsBody: Bool {
        switch self.state {
        case .fixed, .chunkSize, .chunkData, .chunkDataEnd, .trailers: true
        case .head, .endPending, .failed: false
        }
    }

    /// Takes the next part out of `buffer` (moving its reader index), or nil when more bytes are needed.
    /// Throws `RequestParseError` only; after that every call throws again.
    public mutating func next(from buffer: inout ByteBuffer) throws -> HTTPServerRequestPart? {
        do {
            return try self.step(&buffer)
        } catch {
            self.state = .failed
            throw error
        }
    }

    private mutating func step(_ buffer: inout ByteBuffer) throws -> HTTPServerRequestPart? {
        while true {
            switch self.state {
            case .failed:
                throw RequestParseError.malformed("the connection's request stream already failed")
            case .head:
                return try self.readHead(&buffer)
            case .endPending:
                self.state = .head
                return .end(nil)
            case .fixed(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                self.state = count == remaining ? .endPending : .fixed(remaining: remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                self.state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else {
                    if buffer.readableBytes == 1, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) != .cr {
                        throw RequestParseError.malformed("chunk data is not followed by CRLF")
                    }
                    return nil
                }
                guard buffer.readInteger(as: UInt16.self) == .crlf else {
                    throw RequestParseError.malformed("chunk data is not followed by CRLF")
                }
                self.state = .chunkSize
            case .chunkSize:
                guard let line = try Self.nextLine(in: buffer, within: Self.maxChunkLine + 2) else {
                    if buffer.readableBytes > Self.maxChunkLine + 2 {
                        throw RequestParseError.malformed("chunk-size line too long")
                    }
                    return nil
                }
                let size = try buffer.withUnsafeReadableBytes { try Self.chunkSize(UnsafeRawBufferPointer(rebasing: $0[0..<line.length])) }
                buffer.moveReaderIndex(forwardBy: line.consumed)
                self.state = size == 0 ? .trailers(bytes: 0) : .chunkData(remaining: size)
            case .trailers(let bytes):
                let allowance = self.limits.maxHeadBytes - bytes
                guard let line = try Self.nextLine(in: buffer, within: allowance) else {
                    if buffer.readableBytes > allowance {
                        throw RequestParseError(.headTooLarge, "trailer fields exceed the head limit")
                    }
                    return nil
                }
                if line.length == 0 {
                    buffer.moveReaderIndex(forwardBy: line.consumed)
                    self.state = .head
                    return .end(nil)
                }
                // Trailer fields are checked like header fields, then dropped (RFC 9110 §6.5.1 allows it).
                try buffer.withUnsafeReadableBytes { bytes in
                    _ = try Self.fieldLine(UnsafeRawBufferPointer(rebasing: bytes[0..<line.length]))
                }
                buffer.moveReaderIndex(forwardBy: line.consumed)
                self.state = .trailers(bytes: bytes + line.consumed)
            }
        }
    }

    // MARK: Head

    private mutating func readHead(_ buffer: inout ByteBuffer) throws -> HTTPServerRequestPart? {
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        if self.scanned == 0 {
            while buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == .crlf {
                buffer.moveReaderIndex(forwardBy: 2)
            }
        }
        // Only the bytes a head may take are looked at: a head longer than that is refused whatever follows, so the
        // error cannot depend on how much of the rest has arrived (a bare LF past the limit is a 431 either way).
        let limit = self.limits.maxHeadBytes
        let (found, resume) = try buffer.withUnsafeReadableBytes {
            try Self.findHeadEnd(UnsafeRawBufferPointer(rebasing: $0.prefix(limit)), from: self.scanned)
        }
        guard let headLength = found else {
            self.scanned = resume
            if buffer.readableBytes > limit { throw self.overLimit(buffer) }
            return nil
        }
        self.scanned = 0
        let maxFields = self.limits.maxFields
        let (head, framing) = try buffer.withUnsafeReadableBytes {
            try Self.decodeHead(UnsafeRawBufferPointer(rebasing: $0[0..<headLength]), maxFields: maxFields)
        }
        buffer.moveReaderIndex(forwardBy: headLength)
        switch framing {
        case .none, .length(0): self.state = .endPending
        case .length(let length): self.state = .fixed(remaining: length)
        case .chunked: self.state = .chunkSize
        }
        return .head(head)
    }

    /// 414 when the request line alone is over the limit, else 431.
    private func overLimit(_ buffer: ByteBuffer) -> RequestParseError {
        let lineEnd = buffer.withUnsafeReadableBytes { $0.firstIndex(of: .lf) } ?? buffer.readableBytes
        return lineEnd > self.limits.maxHeadBytes
            ? RequestParseError(.targetTooLong, "request line exceeds max_header_bytes")
            : RequestParseError(.headTooLarge, "request header block exceeds max_header_bytes")
    }

    /// Splits `bytes` into lines from `start` (a line start): the head's length through its empty line, or nil
    /// and where the first incomplete line starts.
    static func findHeadEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> (Int?, Int) {
        var lineStart = start
        var index = start
        let count = bytes.count
        while index < count {
            if bytes[index] == .lf {
                guard index > lineStart, bytes[index - 1] == .cr else {
                    throw RequestParseError.malformed("a line ends in LF without CR")
                }
                if index - lineStart == 1 {
                    if lineStart == 0 { throw RequestParseError.malformed("empty request line") }
                    return (index + 1, lineStart)
                }
                lineStart = index + 1
            }
            index += 1
        }
        return (nil, lineStart)
    }

    /// The line at the reader index: its length without CRLF and the bytes it takes with CRLF; nil when no line
    /// end is among the first `maxBytes` bytes (it has not arrived, or the line is longer than that). Bytes past
    /// `maxBytes` are not looked at, so the caller's length check sees the same thing however the input was cut.
    static func nextLine(in buffer: ByteBuffer, within maxBytes: Int) throws -> (length: Int, consumed: Int)? {
        try buffer.withUnsafeReadableBytes { bytes in
            guard let lf = UnsafeRawBufferPointer(rebasing: bytes.prefix(maxBytes)).firstIndex(of: .lf) else { return nil }
            guard lf > 0, bytes[lf - 1] == .cr else { throw RequestParseError.malformed("a line ends in LF without CR") }
            return (lf - 1, lf + 1)
        }
    }

    static func decodeHead(_ bytes: UnsafeRawBufferPointer, maxFields: Int = .max) throws -> (HTTPRequestHead, Framing) {
        // Request line: method SP request-target SP HTTP-version (RFC 9112 §3).
        let lineEnd = bytes.firstIndex(of: .cr)!  // findHeadEnd saw a CRLF
        guard bytes[lineEnd + 1] == .lf else { throw RequestParseError.malformed("a bare CR in the request line") }
        var index = 0
        while index < lineEnd, bytes[index].isTokenByte { index += 1 }
        guard index > 0, index < lineEnd, bytes[index] == .space else {
            throw RequestParseError.malformed("the request line does not start with a method and one space")
        }
        let method = Self.method(UnsafeRawBufferPointer(rebasing: bytes[0..<index]))
        let targetStart = index + 1
        index = targetStart
        while index < lineEnd, bytes[index] > .space, bytes[index] < 0x7F { index += 1 }
        guard index > targetStart, index < lineEnd, bytes[index] == .space else {
            throw RequestParseError.malformed("the request target is empty or holds a byte it may not")
        }
        let target = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[targetStart..<index]), as: UTF8.self)
        let version = try Self.version(UnsafeRawBufferPointer(rebasing: bytes[(index + 1)..<lineEnd]))

        // Field lines, up to the empty line.
        var fields: [(String, String)] = []
        var contentLength: Int?
        var codings = Codings()
        var hosts = 0
        var lineStart = lineEnd + 2
        while true {
            var end = lineStart
            while bytes[end] != .cr { end += 1 }
            guard bytes[end + 1] == .lf else { throw RequestParseError.malformed("a bare CR in a field line") }
            if end == lineStart { break }
            if fields.count == maxFields {
                throw RequestParseError(.headTooLarge, "the request has more than max_header_fields header fields")
            }
            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<end])
            let (nameEnd, valueStart, valueEnd) = try Self.fieldLine(line)
            let name = UnsafeRawBufferPointer(rebasing: line[0..<nameEnd])
            let value = UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd])
            if name.equalsLowercased("content-length") {
                let length = try Self.contentLength(value)
                if let previous = contentLength, previous != length {
                    throw RequestParseError.malformed("Content-Length values disagree")
                }
                contentLength = length
            } else if name.equalsLowercased("transfer-encoding") {
                codings.add(value)
            } else if name.equalsLowercased("host") {
                hosts += 1
                guard HostField.isValid(value) else {
                    throw RequestParseError.malformed("the Host field is not uri-host[:port] (RFC 9110 §7.2)")
                }
            }
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            lineStart = end + 2
        }

        let framing: Framing
        if codings.present {
            // RFC 9112 §6.1 and §6.3: a request's framing is faulty unless chunked is its final coding.
            guard version.major == 1, version.minor >= 1 else {
                throw RequestParseError.malformed("Transfer-Encoding in an HTTP/1.0 request")
            }
            guard contentLength == nil else {
                throw RequestParseError.malformed("both Content-Length and Transfer-Encoding")
            }
            guard codings.lastIsChunked else {
                throw RequestParseError.malformed("chunked is not the final transfer coding")
            }
            guard codings.chunked == 1 else { throw RequestParseError.malformed("chunked is applied more than once") }
            guard !codings.other else {
                throw RequestParseError(.codingNotImplemented, "transfer codings other than chunked are not supported")
            }
            framing = .chunked
        } else if let contentLength {
            framing = .length(contentLength)
        } else {
            framing = .none
        }
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0.
        if hosts > 1 { throw RequestParseError.malformed("more than one Host field") }
        if hosts == 0, version.minor >= 1 { throw RequestParseError.malformed("an HTTP/1.1 request without a Host field") }
        let head = HTTPRequestHead(version: version, method: method, uri: target, headers: HTTPHeaders(fields))
        return (head, framing)
    }

    /// Checks one field line (`name ":" OWS value OWS`): the name's end and the value's bounds, OWS trimmed.
    static func fieldLine(_ line: UnsafeRawBufferPointer) throws -> (nameEnd: Int, valueStart: Int, valueEnd: Int) {
        var index = 0
        let count = line.count
        while index < count, line[index].isTokenByte { index += 1 }
        guard index < count, line[index] == .colon else {
            if index == 0, line[0] == .space || line[0] == .tab {
                throw RequestParseError.malformed("folded field lines (obs-fold) are not accepted")
            }
            if index < count, line[index] == .space || line[index] == .tab {
                throw RequestParseError.malformed("whitespace between a field name and its colon")
            }
            throw RequestParseError.malformed("a field line is not a name and a colon")
        }
        guard index > 0 else { throw RequestParseError.malformed("a field line has an empty name") }
        let nameEnd = index
        var start = index + 1
        var end = count
        while start < end, line[start] == .space || line[start] == .tab { start += 1 }
        while end > start, line[end - 1] == .space || line[end - 1] == .tab { end -= 1 }
        for position in start..<end {
            let byte = line[position]
            // field-vchar, obs-text, SP and HTAB; no other control byte (RFC 9110 §5.5).
            guard byte >= .space && byte != 0x7F || byte == .tab else {
                throw RequestParseError.malformed("a field value holds a control byte")
            }
        }
        return (nameEnd, start, end)
    }

    static func version(_ bytes: UnsafeRawBufferPointer) throws -> HTTPVersion {
        guard bytes.count == 8, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"), bytes[2] == UInt8(ascii: "T"),
            bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "/"), bytes[5].isDigit, bytes[6] == UInt8(ascii: "."),
            bytes[7].isDigit
        else {
            throw RequestParseError.malformed("the request line does not end in HTTP/<digit>.<digit>")
        }
        let major = Int(bytes[5] - UInt8(ascii: "0"))
        let minor = Int(bytes[7] - UInt8(ascii: "0"))
        if major == 1 && minor == 1 { return .http1_1 }
        guard major == 1 else { throw RequestParseError(.versionNotSupported, "only HTTP/1.x is spoken here") }
        return HTTPVersion(major: 1, minor: minor)
    }

    static func method(_ bytes: UnsafeRawBufferPointer) -> HTTPMethod {
        switch bytes.count {
        case 3 where bytes[0] == UInt8(ascii: "G") && bytes[1] == UInt8(ascii: "E") && bytes[2] == UInt8(ascii: "T"):
            return .GET
        case 4 where bytes.elementsEqual("HEAD".utf8):
            return .HEAD
        case 4 where bytes.elementsEqual("POST".utf8):
            return .POST
        default:
            // Methods are case-sensitive (RFC 9110 §9.1): NIO maps the registered names, anything else is RAW.
            return HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// `1*DIGIT`, or a list of equal ones (RFC 9110 §8.6 lets a recipient accept `42, 42`).
    static func contentLength(_ value: UnsafeRawBufferPointer) throws -> Int {
        var result: Int?
        var current = 0
        var digits = 0
        func finish() throws {
            guard digits > 0 else { throw RequestParseError.malformed("Content-Length is not a number") }
            if let result, result != current { throw RequestParseError.malformed("Content-Length values disagree") }
            result = current
        }
        var index = 0
        while index < value.count {
            let byte = value[index]
            if byte.isDigit {
                guard digits < 18 else { throw RequestParseError.malformed("Content-Length is too large") }
                current = current * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                index += 1
            } else if byte == UInt8(ascii: ",") {
                try finish()
                current = 0
                digits = 0
                index += 1
                while index < value.count, value[index] == .space || value[index] == .tab { index += 1 }
            } else {
                throw RequestParseError.malformed("Content-Length is not a number")
            }
        }
        try finish()
        return result!
    }

    /// A chunk-size line: hex digits, optional whitespace, optional extensions (read and dropped).
    static func chunkSize(_ line: UnsafeRawBufferPointer) throws -> Int {
        var size = 0
        var index = 0
        while index < line.count, let digit = line[index].hexValue {
            guard index < 15 else { throw RequestParseError.malformed("chunk size is too large") }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { throw RequestParseError.malformed("chunk size is not hexadecimal") }
        while index < line.count, line[index] == .space || line[index] == .tab { index += 1 }
        if index < line.count {
            guard line[index] == UInt8(ascii: ";") else { throw RequestParseError.malformed("chunk size is not hexadecimal") }
            for position in index..<line.count {
                let byte = line[position]
                guard byte >= .space && byte != 0x7F || byte == .tab else {
                    throw RequestParseError.malformed("a chunk extension holds a control byte")
                }
            }
        }
        return size
    }

    /// The transfer codings named by a request's `Transfer-Encoding` fields, in order.
    struct Codings {
        var present = false
        var chunked = 0
        var other = false
        var lastIsChunked = false

        mutating func add(_ value: UnsafeRawBufferPointer) {
            self.present = true
            var start = 0
            while start <= value.count {
                var end = start
                while end < value.count, value[end] != UInt8(ascii: ",") { end += 1 }
                var first = start
                var last = end
                while first < last, value[first] == .space || value[first] == .tab { first += 1 }
                while last > first, value[last - 1] == .space || value[last - 1] == .tab { last -= 1 }
                if last > first {
                    // A coding may carry parameters; `chunked` takes none.
                    let coding = UnsafeRawBufferPointer(rebasing: value[first..<last])
                    if coding.equalsLowercased("chunked") {
                        self.chunked += 1
                        self.lastIsChunked = true
                    } else {
                        self.other = true
                        self.lastIsChunked = false
                    }
                }
                start = end + 1
            }
        }
    }
}

extension UInt8 {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")

    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    var hexValue: Int? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(self - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(self - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(self - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// tchar (RFC 9110 §5.6.2): the bytes of a method or a field name.
    var isTokenByte: Bool { Self.tokenTable[Int(self)] }

    private static let tokenTable: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        if byte.isDigit { return true }
        if (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") { return true }
        return "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

extension UInt16 {
    /// CR LF as `ByteBuffer.getInteger` reads it (big-endian).
    static let crlf = UInt16(UInt8.cr) << 8 | UInt16(UInt8.lf)
}

extension UnsafeRawBufferPointer {
    /// ASCII case-insensitive comparison with a lowercase literal.
    func equalsLowercased(_ lowercase: StaticString) -> Bool {
        guard self.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<self.count {
            var byte = self[index]
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte |= 0x20 }
            if byte != expected[index] { return false }
        }
        return true
    }
}
