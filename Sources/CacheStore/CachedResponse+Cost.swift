import HTTPCaching
import NIOCore

/// What an entry really occupies in memory, so that a budget in bytes means what it says (issue 15: measured RSS
/// within 10% of the accounted bytes).
extension CachedResponse {
    /// Every entry's fixed part, measured (BENCHMARKS.md, memory accounting): the `CachedResponse` object, the
    /// `ByteBuffer` storage object of its buffer, and the entry's share of the store's index (slot, key and path
    /// tables, eviction policy state) at the tables' average fill.
    public static let entryOverhead = 384

    /// A heap allocation's real size: glibc rounds a request up to 16 bytes and adds an 8-byte header.
    static func allocated(_ bytes: Int) -> Int {
        (bytes + 8 + 15) & ~15
    }

    /// A Swift string's heap storage (none for 15 UTF-8 bytes or fewer, which are stored inline).
    static func allocated(_ string: String) -> Int {
        let count = string.utf8.count
        return count <= 15 ? 0 : Self.allocated(32 + count + 1)
    }

    /// A `ByteBuffer`'s storage object (the bytes are a second allocation).
    static let bufferObject = 64

    static func accountedBytes(storage: ByteBuffer, partsBytes: Int, partition: String, vary: VaryKey) -> Int {
        var bytes = Self.entryOverhead + Self.allocated(storage.storageCapacity) + Self.allocated(partition) + partsBytes
        if !vary.isEmpty {
            bytes += Self.allocated(32 + vary.entries.count * MemoryLayout<VaryKey.Entry>.stride)
            for entry in vary.entries { bytes += Self.allocated(entry.name) + Self.allocated(entry.value ?? "") }
        }
        return bytes
    }
}
