/// Small deterministic helpers: a stable hash (FNV-1a, 64 bit) and a seeded generator (SplitMix64).
/// Swift's `Hasher` is seeded per process, so it cannot make bytes that stay equal across runs.
struct SplitMix64: RandomNumberGenerator {
    // MARK: State

    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    // MARK: RandomNumberGenerator

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum StableHash {
    // MARK: FNV-1a

    static func fnv1a<Bytes: Sequence>(_ bytes: Bytes, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64
    where Bytes.Element == UInt8 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    static func of(_ parts: String...) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for part in parts {
            hash = self.fnv1a(part.utf8, seed: hash)
            hash = self.fnv1a([0x1F], seed: hash)  // unit separator: ("ab","c") ≠ ("a","bc")
        }
        return hash
    }

    // MARK: Identifiers

    private static let alphanumerics = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// An identifier of `length` alphanumeric characters, like ElevenLabs voice ids.
    static func alphanumericID<G: RandomNumberGenerator>(length: Int, using generator: inout G) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for _ in 0..<length {
            bytes.append(self.alphanumerics[Int(generator.next() % UInt64(self.alphanumerics.count))])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func randomID(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return self.alphanumericID(length: length, using: &generator)
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
