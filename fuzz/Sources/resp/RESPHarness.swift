import FuzzSupport
import NIOCore
import RESP

/// The RESP2 decoder (`RESP.RESPDecoder`), with small limits so that every limit is reached by inputs of fuzzing
/// size. The input is what a Redis server would send.
///
/// Properties, beyond not crashing:
/// - Fed whole, one byte at a time or in fuzzer-chosen pieces (`Splits`), the decoder gives the same values, the
///   same error or none, and leaves the same bytes unread.
/// - Every decoded value stands for exactly the bytes it was read from (walked line by line): each length, count and
///   payload, and each line's text; when those lines are in canonical form (no leading zeros, `-0` or invalid
///   UTF-8), encoding the values gives back exactly the bytes read.
/// - Encoding the values and decoding that gives the same values, with nothing left over.
@_cdecl("LLVMFuzzerTestOneInput")
public func respTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let splits = Splits(UnsafeBufferPointer(start: data, count: size))
    let whole = Decoding(chunks: [splits.payload[...]])
    let byByte = Decoding(chunks: splits.bytes)
    let pieces = Decoding(chunks: splits.chunks)
    Property.equal(whole.values, byByte.values, "values, whole vs one byte at a time")
    Property.equal(whole.values, pieces.values, "values, whole vs pieces \(splits.pieces)")
    Property.equal(whole.outcome, byByte.outcome, "outcome, whole vs one byte at a time")
    Property.equal(whole.outcome, pieces.outcome, "outcome, whole vs pieces \(splits.pieces)")

    var offset = 0
    var canonical = true
    for value in whole.values {
        canonical = walk(value, splits.payload, &offset) && canonical
    }
    var encoded = ByteBuffer()
    for value in whole.values {
        encoded.writeRESPValue(value)
    }
    if canonical {
        Property.equal(Array(encoded.readableBytesView), Array(splits.payload[..<offset]), "canonical input re-encoded")
    }
    // With the default limits: invalid UTF-8 in a simple string comes back as U+FFFD, three bytes per byte read.
    let again = Decoding(chunks: [Array(encoded.readableBytesView)[...]], decoder: RESPDecoder())
    Property.equal(again.values, whole.values, "encoded values decoded again")
    Property.equal(again.outcome, .unread(0), "encoded values decoded again")
    return 0
}

func makeDecoder() -> RESPDecoder {
    RESPDecoder(maxBulkLength: 1024, maxArrayCount: 64, maxDepth: 8, maxLineLength: 256)
}

/// What one feeding of the input produced.
struct Decoding {
    enum Outcome: Equatable {
        /// No error; this many bytes were left in the buffer.
        case unread(Int)
        case error(RESPError)
    }

    var values: [RESPValue] = []
    var outcome = Outcome.unread(0)

    init(chunks: [ArraySlice<UInt8>], decoder: RESPDecoder = makeDecoder()) {
        var decoder = decoder
        var buffer = ByteBuffer()
        do {
            for chunk in chunks {
                buffer.writeBytes(chunk)
                while let value = try decoder.decode(buffer: &buffer) {
                    self.values.append(value)
                }
            }
            if let value = try decoder.decodeLast(buffer: &buffer, seenEOF: true) {
                self.values.append(value)
            }
            self.outcome = .unread(buffer.readableBytes)
        } catch let error as RESPError {
            self.outcome = .error(error)
        } catch {
            Property.require(false, "decode threw something other than RESPError: \(error)")
        }
    }
}

/// Checks that `value` was read from `bytes` at `offset` (moving it past the value); true when every line was in
/// canonical form.
func walk(_ value: RESPValue, _ bytes: [UInt8], _ offset: inout Int) -> Bool {
    let marker = bytes[offset]
    guard let cr = bytes[(offset + 1)...].firstIndex(of: 0x0D), cr + 1 < bytes.count, bytes[cr + 1] == 0x0A else {
        Property.require(false, "value \(value) at offset \(offset) has no line end")
        return false
    }
    let line = Array(bytes[(offset + 1)..<cr])
    let text = String(decoding: line, as: UTF8.self)
    offset = cr + 2
    func number(_ expected: Int, _ what: String) -> Bool {
        Property.equal(Int(text), expected, "\(what) line \(text.debugDescription)")
        return text == String(expected)
    }
    switch value {
    case .simpleString(let string), .error(let string):
        let expectedMarker = UInt8(ascii: value.errorMessage == nil ? "+" : "-")
        Property.equal(marker, expectedMarker, "type byte of \(value)")
        Property.require(string.utf8.elementsEqual(text.utf8), "\(value) read from \(line)")
        return String(validating: line, as: UTF8.self) != nil
    case .integer(let integer):
        Property.equal(marker, UInt8(ascii: ":"), "type byte of \(value)")
        return number(integer, "integer")
    case .bulkString(nil), .array(nil):
        Property.require(marker == UInt8(ascii: "$") || marker == UInt8(ascii: "*"), "type byte of \(value)")
        Property.equal(marker == UInt8(ascii: "$"), value == .bulkString(nil), "type byte of \(value)")
        return number(-1, "null")
    case .bulkString(let payload?):
        Property.equal(marker, UInt8(ascii: "$"), "type byte of \(value)")
        let canonical = number(payload.readableBytes, "bulk length")
        Property.equal(Array(payload.readableBytesView), Array(bytes[offset..<(offset + payload.readableBytes)]), "bulk payload")
        offset += payload.readableBytes
        Property.equal(Array(bytes[offset..<(offset + 2)]), [0x0D, 0x0A], "CR LF after a bulk payload")
        offset += 2
        return canonical
    case .array(let elements?):
        Property.equal(marker, UInt8(ascii: "*"), "type byte of \(value)")
        var canonical = number(elements.count, "array count")
        for element in elements {
            canonical = walk(element, bytes, &offset) && canonical
        }
        return canonical
    }
}
