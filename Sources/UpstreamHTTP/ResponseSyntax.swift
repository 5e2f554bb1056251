import NIOCore
import NIOHTTP1

/// The byte-level grammar of RFC 9110/9112 that the response parser checks: lines, field lines, the version,
/// `Content-Length`, chunk sizes and transfer codings. (The client side's `RequestParser` holds the same rules for
/// requests; the two modules do not share code, so the hit path's parser stays as it is.)
enum ResponseSyntax {
    /// Splits `bytes` into lines from `start` (a line start): the head's length through its empty line, or nil
    /// and where the first incomplete line starts.
    static func findHeadEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> (Int?, Int) {
        var lineStart = start
        var index = start
        let count = bytes.count
        while index < count {
            if bytes[index] == .lf {
                guard index > lineStart, bytes[index - 1] == .cr else {
                    throw ResponseParseError.malformed("a line ends in LF without CR")
                }
                if index - lineStart == 1 {
                    if lineStart == 0 { throw ResponseParseError.malformed("an empty line where the status line belongs") }
                    return (index + 1, lineStart)
                }
                lineStart = index + 1
            }
            index += 1
        }
        return (nil, lineStart)
    }

    /// The line at the reader index: its length without CRLF and the bytes it takes with CRLF; nil when no line end
    /// is among the first `maxBytes` bytes (it has not arrived, or the line is longer than that). Bytes past
    /// `maxBytes` are not looked at, so the caller's length check sees the same thing however the input was cut.
    static func nextLine(in buffer: ByteBuffer, within maxBytes: Int) throws -> (length: Int, consumed: Int)? {
        try buffer.withUnsafeReadableBytes { bytes in
            guard let lf = UnsafeRawBufferPointer(rebasing: bytes.prefix(maxBytes)).firstIndex(of: .lf) else { return nil }
            guard lf > 0, bytes[lf - 1] == .cr else { throw ResponseParseError.malformed("a line ends in LF without CR") }
            return (lf - 1, lf + 1)
        }
    }

    /// `HTTP/<digit>.<digit>` at the start of the status line; only major version 1 is read.
    static func version(_ bytes: UnsafeRawBufferPointer, lineEnd: Int) throws -> HTTPVersion {
        guard lineEnd >= 8, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"), bytes[2] == UInt8(ascii: "T"),
            bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "/"), bytes[5].isDigit, bytes[6] == UInt8(ascii: "."),
            bytes[7].isDigit
        else {
            throw ResponseParseError.malformed("the status line does not start with HTTP/<digit>.<digit>")
        }
        guard bytes[5] == UInt8(ascii: "1") else {
            throw ResponseParseError(.versionNotSupported, "the status line is not HTTP/1.x")
        }
        let minor = Int(bytes[7] - UInt8(ascii: "0"))
        return minor == 1 ? .http1_1 : HTTPVersion(major: 1, minor: minor)
    }

    /// Checks one field line (`name ":" OWS value OWS`): the name's end and the value's bounds, OWS trimmed.
    static func fieldLine(_ line: UnsafeRawBufferPointer) throws -> (nameEnd: Int, valueStart: Int, valueEnd: Int) {
        var index = 0
        let count = line.count
        while index < count, line[index].isTokenByte { index += 1 }
        guard index < count, line[index] == .colon else {
            if index == 0, line[0] == .space || line[0] == .tab {
                // RFC 9112 §5.2: a user agent may replace obs-fold with a space; a proxy may not guess.
                throw ResponseParseError.malformed("folded field lines (obs-fold) are not accepted")
            }
            if index < count, line[index] == .space || line[index] == .tab {
                throw ResponseParseError.malformed("whitespace between a field name and its colon")
            }
            throw ResponseParseError.malformed("a field line is not a name and a colon")
        }
        guard index > 0 else { throw ResponseParseError.malformed("a field line has an empty name") }
        let nameEnd = index
        var start = index + 1
        var end = count
        while start < end, line[start] == .space || line[start] == .tab { start += 1 }
        while end > start, line[end - 1] == .space || line[end - 1] == .tab { end -= 1 }
        for position in start..<end where !line[position].isFieldValueByte {
            throw ResponseParseError.malformed("a field value holds a control byte")
        }
        return (nameEnd, start, end)
    }

    /// `1*DIGIT`, or a list of equal ones (RFC 9110 §8.6 lets a recipient accept `42, 42`). A sign, a blank
    /// value, anything else, or more than 18 digits is an error.
    static func contentLength(_ value: UnsafeRawBufferPointer) throws -> Int {
        var result: Int?
        var current = 0
        var digits = 0
        func finish() throws {
            guard digits > 0 else { throw ResponseParseError.malformed("Content-Length is not a number") }
            if let result, result != current { throw ResponseParseError.malformed("Content-Length values disagree") }
            result = current
        }
        var index = 0
        while index < value.count {
            let byte = value[index]
            if byte.isDigit {
                guard digits < 18 else { throw ResponseParseError.malformed("Content-Length is too large") }
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
                throw ResponseParseError.malformed("Content-Length is not a number")
            }
        }
        try finish()
        return result!
    }

    /// A chunk-size line: hex digits (at most 15, so the size fits), optional whitespace, optional extensions
    /// (read and dropped).
    static func chunkSize(_ line: UnsafeRawBufferPointer) throws -> Int {
        var size = 0
        var index = 0
        while index < line.count, let digit = line[index].hexValue {
            guard index < 15 else { throw ResponseParseError.malformed("chunk size is too large") }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { throw ResponseParseError.malformed("chunk size is not hexadecimal") }
        while index < line.count, line[index] == .space || line[index] == .tab { index += 1 }
        if index < line.count {
            guard line[index] == UInt8(ascii: ";") else { throw ResponseParseError.malformed("chunk size is not hexadecimal") }
            for position in index..<line.count where !line[position].isFieldValueByte {
                throw ResponseParseError.malformed("a chunk extension holds a control byte")
            }
        }
        return size
    }

    /// The transfer codings named by a response's `Transfer-Encoding` fields, in order.
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
                    if UnsafeRawBufferPointer(rebasing: value[first..<last]).equalsLowercased("chunked") {
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

    /// field-vchar, obs-text, SP and HTAB: no other control byte, no DEL (RFC 9110 §5.5).
    var isFieldValueByte: Bool { self >= .space && self != 0x7F || self == .tab }

    var hexValue: Int? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(self - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(self - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(self - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// tchar (RFC 9110 §5.6.2): the bytes of a field name.
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
