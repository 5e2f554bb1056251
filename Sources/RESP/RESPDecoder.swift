import NIOCore

/// Decodes a stream of RESP2 bytes into ``RESPValue``s, for use in a `ByteToMessageHandler`.
///
/// Input may arrive split at any byte. Scalars (lines and bulk strings) are consumed only once
/// complete; array headers are consumed as soon as they arrive and the elements collected so far
/// are kept in the decoder, so a large array that trickles in is parsed once, not re-parsed on
/// every read.
///
/// Limits keep a hostile or broken peer from making the decoder buffer without bound: a bulk
/// string may be at most ``maxBulkLength`` bytes (Redis' own `proto-max-bulk-len`, 512 MiB, by
/// default), an array at most ``maxArrayCount`` elements, arrays may nest ``maxDepth`` deep and a
/// header or simple line is at most ``maxLineLength`` bytes. Breaking a limit, or any malformed
/// input, throws a ``RESPError``.
public struct RESPDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    public typealias InboundOut = RESPValue

    /// The largest bulk string accepted, in bytes.
    public let maxBulkLength: Int
    /// The largest array accepted, in elements.
    public let maxArrayCount: Int
    /// The deepest nesting of arrays accepted.
    public let maxDepth: Int
    /// The longest line (simple string, error, integer or header) accepted, without its CR LF.
    public let maxLineLength: Int

    /// The arrays whose headers have been read but whose elements have not all arrived,
    /// outermost first.
    private var openArrays: [OpenArray] = []

    private struct OpenArray {
        var remaining: Int
        var elements: [RESPValue]
    }

    /// What one step of parsing produced.
    private enum Item {
        case value(RESPValue)
        case arrayHeader(count: Int)
    }

    /// Creates a decoder with the given limits. The array limit (16 Mi elements by default) only
    /// guards against absurd counts: elements are stored as they arrive, never reserved up front.
    public init(
        maxBulkLength: Int = 512 * 1024 * 1024,
        maxArrayCount: Int = 1 << 24,
        maxDepth: Int = 64,
        maxLineLength: Int = 64 * 1024
    ) {
        self.maxBulkLength = maxBulkLength
        self.maxArrayCount = maxArrayCount
        self.maxDepth = maxDepth
        self.maxLineLength = maxLineLength
    }

    /// Decodes the next complete top-level value, or returns `nil` until more bytes arrive.
    ///
    /// - Throws: ``RESPError`` for malformed input or a broken limit.
    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        while let item = try self.parseItem(&buffer) {
            switch item {
            case .value(let value):
                if let complete = self.append(value) {
                    return complete
                }
            case .arrayHeader(let count):
                guard self.openArrays.count < self.maxDepth else {
                    throw RESPError.nestingTooDeep(limit: self.maxDepth)
                }
                // Reserve only a little up front: the count is the peer's claim, not data we have.
                var elements: [RESPValue] = []
                elements.reserveCapacity(min(count, 1024))
                self.openArrays.append(OpenArray(remaining: count, elements: elements))
            }
        }
        return nil
    }

    /// Decodes what is left when the stream ends; an incomplete value stays in `buffer` (and
    /// `ByteToMessageHandler` reports it as left-over data).
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try self.decode(buffer: &buffer)
    }

    /// Adds a finished value to the innermost open array, closing every array it completes.
    /// Returns the top-level value once one is complete.
    private mutating func append(_ value: RESPValue) -> RESPValue? {
        var finished = value
        while !self.openArrays.isEmpty {
            let innermost = self.openArrays.count - 1
            self.openArrays[innermost].elements.append(finished)
            self.openArrays[innermost].remaining -= 1
            guard self.openArrays[innermost].remaining == 0 else {
                return nil
            }
            finished = .array(self.openArrays.removeLast().elements)
        }
        return finished
    }

    /// Parses one scalar or array header at the reader index, consuming it only if complete.
    private func parseItem(_ buffer: inout ByteBuffer) throws -> Item? {
        guard let crIndex = try self.findLineEnd(in: buffer) else {
            return nil
        }
        let start = buffer.readerIndex
        let contentStart = start + 1
        let contentLength = crIndex - contentStart
        let afterLine = crIndex + 2
        // `findLine` only returns once the type byte and the CR LF are readable.
        let marker = buffer.getInteger(at: start, as: UInt8.self) ?? 0

        switch marker {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let text = buffer.getString(at: contentStart, length: contentLength) ?? ""
            buffer.moveReaderIndex(to: afterLine)
            return .value(marker == UInt8(ascii: "+") ? .simpleString(text) : .error(text))

        case UInt8(ascii: ":"):
            let number = try Self.parseInteger(buffer, at: contentStart, length: contentLength)
            buffer.moveReaderIndex(to: afterLine)
            return .value(.integer(number))

        case UInt8(ascii: "$"):
            let length = try Self.parseInteger(buffer, at: contentStart, length: contentLength)
            if length == -1 {
                buffer.moveReaderIndex(to: afterLine)
                return .value(.bulkString(nil))
            }
            guard length >= 0 else {
                throw RESPError.negativeLength(length)
            }
            guard length <= self.maxBulkLength else {
                throw RESPError.bulkTooLarge(length: length, limit: self.maxBulkLength)
            }
            // Payload plus its CR LF must be readable before anything is consumed.
            guard buffer.writerIndex - afterLine >= length + 2 else {
                return nil
            }
            guard buffer.getInteger(at: afterLine + length, as: UInt16.self) == 0x0D0A else {
                throw RESPError.missingCRLF
            }
            let payload = buffer.getSlice(at: afterLine, length: length)
            buffer.moveReaderIndex(to: afterLine + length + 2)
            return .value(.bulkString(payload ?? ByteBuffer()))

        case UInt8(ascii: "*"):
            let count = try Self.parseInteger(buffer, at: contentStart, length: contentLength)
            if count == -1 {
                buffer.moveReaderIndex(to: afterLine)
                return .value(.array(nil))
            }
            guard count >= 0 else {
                throw RESPError.negativeLength(count)
            }
            guard count <= self.maxArrayCount else {
                throw RESPError.arrayTooLarge(count: count, limit: self.maxArrayCount)
            }
            buffer.moveReaderIndex(to: afterLine)
            return count == 0 ? .value(.array([])) : .arrayHeader(count: count)

        default:
            throw RESPError.unknownType(marker)
        }
    }

    /// Finds the CR of the CR LF ending the line at the reader index (as a buffer index).
    /// Returns `nil` while the line is incomplete; throws if a CR is followed by something other than LF or the line outgrows
    /// ``maxLineLength``. The type byte is checked first, so garbage fails at once.
    private func findLineEnd(in buffer: ByteBuffer) throws -> Int? {
        let view = buffer.readableBytesView
        guard let marker = view.first else {
            return nil
        }
        switch marker {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"):
            break
        default:
            throw RESPError.unknownType(marker)
        }
        // The line may hold at most maxLineLength bytes after the type byte.
        let searchEnd = min(view.endIndex, view.startIndex + 1 + self.maxLineLength + 1)
        guard let cr = view[(view.startIndex + 1)..<searchEnd].firstIndex(of: UInt8(ascii: "\r")) else {
            if view.count > 1 + self.maxLineLength {
                throw RESPError.lineTooLong(limit: self.maxLineLength)
            }
            return nil
        }
        guard cr + 1 < view.endIndex else {
            return nil
        }
        guard view[cr + 1] == UInt8(ascii: "\n") else {
            throw RESPError.missingCRLF
        }
        return cr
    }

    /// Parses an optionally negative decimal integer from `length` bytes at `index`.
    private static func parseInteger(_ buffer: ByteBuffer, at index: Int, length: Int) throws -> Int {
        guard length > 0, let bytes = buffer.viewBytes(at: index, length: length) else {
            throw RESPError.invalidNumber
        }
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative {
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else {
            throw RESPError.invalidNumber
        }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw RESPError.invalidNumber
            }
            let digit = Int(byte - UInt8(ascii: "0"))
            // Accumulate negatively so that Int.min parses too.
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            guard !overflow1, !overflow2 else {
                throw RESPError.invalidNumber
            }
            value = next
        }
        if negative {
            return value
        }
        guard value != Int.min else {
            throw RESPError.invalidNumber
        }
        return -value
    }
}
