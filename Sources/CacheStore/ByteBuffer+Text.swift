import NIOCore

/// Text in the stored formats (the disk tier's entry files, L2 values): a UInt32 byte count, then the UTF-8 bytes.
extension ByteBuffer {
    package mutating func writeLengthPrefixedText(_ text: String) {
        let length = self.writerIndex
        self.writeInteger(UInt32(0))
        let written = self.writeString(text)
        self.setInteger(UInt32(written), at: length)
    }

    /// Nil when the count runs past the readable bytes.
    package mutating func readLengthPrefixedText() -> String? {
        guard let length = self.readInteger(as: UInt32.self), Int(length) <= self.readableBytes else { return nil }
        return self.readString(length: Int(length))
    }
}
