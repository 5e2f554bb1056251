@_spi(CustomByteBufferAllocator) import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffers of exactly the size asked for. `ByteBufferAllocator.buffer(capacity:)` rounds every capacity up to a power
/// of two (a 1,330-byte entry took 2,048 bytes, a 300 KiB body 512 KiB); an entry's buffers are written once, to
/// the byte count computed first, and never grow, so they are allocated exactly and handed to `ByteBuffer`, which
/// frees them with the default allocator (`free`).
enum ExactBuffer {
    static func make(capacity: Int) -> ByteBuffer {
        guard capacity > 0, let memory = malloc(capacity) else { return ByteBuffer() }
        return ByteBuffer(
            takingOwnershipOf: UnsafeMutableRawBufferPointer(start: memory, count: capacity),
            allocator: ByteBufferAllocator(),
            readerIndex: 0,
            writerIndex: 0
        )
    }
}
