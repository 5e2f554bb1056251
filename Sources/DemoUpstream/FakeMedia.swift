import NIOCore

/// Deterministic fake media: MP3-looking audio for TTS and small valid PNGs for the Kling CDN.
enum FakeMedia {
    // MARK: MP3

    /// An ID3v2.4 header with an empty tag, as encoders write before the first frame.
    private static let id3Header: [UInt8] = [0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
    /// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, joint stereo, no CRC, no padding: 144 * 128000 / 44100 = 417 bytes.
    private static let frameHeader: [UInt8] = [0xFF, 0xFB, 0x90, 0x64]
    private static let frameLength = 417

    /// The audio size for a text: about 1 KiB per character (128 kbit/s at ~15 characters per second).
    static func audioSize(forCharacters count: Int) -> Int {
        max(1, count) * 1024
    }

    /// Bytes `offset..<offset+length` of the fake MP3 stream for `seed`: an ID3 header, then 417-byte frames whose
    /// payload comes from the seed and the frame's index, so any range can be made without the ones before it.
    static func audio(seed: UInt64, offset: Int, length: Int) -> ByteBuffer {
        var buffer = DemoResponse.allocator.buffer(capacity: length)
        var position = offset
        let end = offset + length
        while position < end {
            if position < self.id3Header.count {
                let take = min(self.id3Header.count, end) - position
                buffer.writeBytes(self.id3Header[position..<(position + take)])
                position += take
                continue
            }
            let frameIndex = (position - self.id3Header.count) / self.frameLength
            let inFrame = (position - self.id3Header.count) % self.frameLength
            let frame = self.frame(seed: seed, index: frameIndex)
            let take = min(self.frameLength - inFrame, end - position)
            buffer.writeBytes(frame[inFrame..<(inFrame + take)])
            position += take
        }
        return buffer
    }

    private static func frame(seed: UInt64, index: Int) -> [UInt8] {
        var bytes = self.frameHeader
        bytes.reserveCapacity(self.frameLength)
        var generator = SplitMix64(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        while bytes.count < self.frameLength {
            var word = generator.next()
            for _ in 0..<8 where bytes.count < self.frameLength {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return bytes
    }

    // MARK: PNG

    /// A 16×16 RGB PNG of one colour picked from `seed`: signature, IHDR, one stored-deflate IDAT, IEND.
    static func png(seed: UInt64, side: Int = 16) -> ByteBuffer {
        let red = UInt8(truncatingIfNeeded: seed)
        let green = UInt8(truncatingIfNeeded: seed >> 8)
        let blue = UInt8(truncatingIfNeeded: seed >> 16)
        var raw: [UInt8] = []
        for _ in 0..<side {
            raw.append(0)  // filter: none
            for _ in 0..<side { raw.append(contentsOf: [red, green, blue]) }
        }
        var zlib: [UInt8] = [0x78, 0x01, 0x01]  // zlib header, then one final stored block
        let length = UInt16(raw.count)
        zlib += [UInt8(length & 0xff), UInt8(length >> 8), UInt8(~length & 0xff), UInt8(~length >> 8)]
        zlib += raw
        zlib += self.bigEndian(self.adler32(raw))

        var ihdr = self.bigEndian(UInt32(side)) + self.bigEndian(UInt32(side))
        ihdr += [8, 2, 0, 0, 0]  // bit depth 8, colour type RGB, deflate, adaptive filtering, no interlace

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += self.chunk("IHDR", ihdr)
        png += self.chunk("IDAT", zlib)
        png += self.chunk("IEND", [])
        return DemoResponse.allocator.buffer(bytes: png)
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return self.bigEndian(UInt32(data.count)) + typed + self.bigEndian(self.crc32(typed))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}
