import NIOCore
import RESP

/// A buffer holding the UTF-8 bytes of `text`.
func buffer(_ text: String) -> ByteBuffer {
    ByteBuffer(string: text)
}

/// A buffer holding `bytes`.
func buffer(_ bytes: [UInt8]) -> ByteBuffer {
    ByteBuffer(bytes: bytes)
}

/// A bulk string value holding the UTF-8 bytes of `text`.
func bulk(_ text: String) -> RESPValue {
    .bulkString(ByteBuffer(string: text))
}

/// Feeds `input` to a fresh decoder one byte at a time and returns every value it produced.
func decodeByteByByte(_ input: ByteBuffer, decoder: RESPDecoder = RESPDecoder()) throws -> [RESPValue] {
    var decoder = decoder
    var pending = ByteBuffer()
    var values: [RESPValue] = []
    for byte in input.readableBytesView {
        pending.writeInteger(byte)
        while let value = try decoder.decode(buffer: &pending) {
            values.append(value)
        }
    }
    return values
}

/// Feeds all of `input` to a fresh decoder at once and returns every value it produced.
func decodeAll(_ input: ByteBuffer, decoder: RESPDecoder = RESPDecoder()) throws -> [RESPValue] {
    var decoder = decoder
    var pending = input
    var values: [RESPValue] = []
    while let value = try decoder.decode(buffer: &pending) {
        values.append(value)
    }
    return values
}
