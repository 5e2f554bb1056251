import NIOCore

/// Collects a response body while it streams to the client, for storing once the upstream finished cleanly.
///
/// It keeps the buffers it is given (no copy while streaming); the entry made from them copies a small body once into
/// its own buffer (`CachedResponse.compactionThreshold`), so that a stored entry never pins a larger read buffer.
public struct BodyCollector: Sendable {
    public let limit: Int
    public private(set) var byteCount = 0
    /// False once the body grew past the limit: the response streams on, unstored.
    public private(set) var isWithinLimit = true
    private var parts: [ByteBuffer] = []

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

    /// The body to store, as received, or nil when it outgrew the limit.
    public func finish() -> [ByteBuffer]? {
        self.isWithinLimit ? self.parts : nil
    }
}
