import NIOCore

/// Collects a response body while it streams to the client, for storing once the upstream finished cleanly.
///
/// It keeps the buffers it is given (no copy while streaming). `finish()` hands back the body to store; small
/// bodies are compacted into one buffer there, once per store, so that a stored entry never pins a larger read
/// buffer it happened to be sliced from, and a hit writes one buffer.
public struct BodyCollector: Sendable {
    public let limit: Int
    public private(set) var byteCount = 0
    /// False once the body grew past the limit: the response streams on, unstored.
    public private(set) var isWithinLimit = true
    private var parts: [ByteBuffer] = []

    /// Bodies up to this size are compacted into one buffer.
    public static let compactionThreshold = 1 << 20

    public init(limit: Int) {
        self.limit = limit
    }

    public mutating func append(_ buffer: ByteBuffer) {
        guard self.isWithinLimit else { return }
        self.byteCount += buffer.readableBytes
        if self.byteCount > self.limit {
            self.isWithinLimit = false
            self.parts = []
            return
        }
        if buffer.readableBytes > 0 { self.parts.append(buffer) }
    }

    /// The body to store, or nil when it outgrew the limit.
    /// With `keepingParts` (a streamed response whose replay keeps its chunk boundaries, e.g. server-sent
    /// events), small bodies are copied part by part into buffers of their own instead of into one.
    public func finish(allocator: ByteBufferAllocator = ByteBufferAllocator(), keepingParts: Bool = false) -> [ByteBuffer]? {
        guard self.isWithinLimit else { return nil }
        if keepingParts {
            guard self.byteCount <= Self.compactionThreshold else { return self.parts }
            return self.parts.map { part in
                var copy = allocator.buffer(capacity: part.readableBytes)
                copy.writeImmutableBuffer(part)
                return copy
            }
        }
        if self.byteCount <= Self.compactionThreshold {
            var compact = allocator.buffer(capacity: self.byteCount)
            for part in self.parts { compact.writeImmutableBuffer(part) }
            return self.byteCount == 0 ? [] : [compact]
        }
        return self.parts
    }
}
