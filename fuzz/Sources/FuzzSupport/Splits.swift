/// Where to cut an input that a parser receives in pieces, as a network delivers it.
///
/// An input may start with a split header: `0xFF`, a count `n`, then `n` piece lengths (a 0 reads as 1); the rest is
/// the payload. The fuzzer can then choose the cuts itself (the dictionaries hold `\xFF`). Without a header (every
/// committed seed), the whole input is the payload and the cuts come from a generator seeded with a hash of it, so
/// each mutation of the input also moves them.
public struct Splits: Sendable {
    /// The bytes to parse.
    public let payload: [UInt8]
    /// Piece lengths, repeated cyclically until the payload is used up.
    public let pieces: [Int]

    public init(_ input: UnsafeBufferPointer<UInt8>) {
        if input.count >= 2, input[0] == 0xFF {
            let count = min(Int(input[1]), input.count - 2)
            let header = 2 + count
            self.pieces = count == 0 ? [1] : input[2..<header].map { max(1, Int($0)) }
            self.payload = Array(input[header...])
        } else {
            self.payload = Array(input)
            var random = SplitMix64(seed: Self.fnv1a(input))
            self.pieces = (0..<16).map { _ in Int(random.next() % 24) + 1 }
        }
    }

    /// The payload cut into pieces (the last one may be shorter).
    public var chunks: [ArraySlice<UInt8>] { self.chunks(of: self.payload[...]) }

    /// `bytes` (the payload or a part of it) cut into pieces of these lengths.
    public func chunks(of bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var offset = bytes.startIndex
        var index = 0
        while offset < bytes.endIndex {
            let end = min(bytes.endIndex, offset + self.pieces[index % self.pieces.count])
            result.append(bytes[offset..<end])
            offset = end
            index += 1
        }
        return result
    }

    /// The payload one byte at a time.
    public var bytes: [ArraySlice<UInt8>] {
        self.payload.indices.map { self.payload[$0..<($0 + 1)] }
    }

    static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}

/// A small deterministic generator (SplitMix64), so that a saved input replays exactly.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var value = self.state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
