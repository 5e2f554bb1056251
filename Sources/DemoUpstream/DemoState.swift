import NIOCore
import NIOHTTP1
import Synchronization

/// Everything the fake remembers across connections: request counters, injected failures, the refusing switch,
/// TTS concurrency per key and the precomputed benchmark bodies. Each part sits behind its own `Mutex`; nothing is
/// awaited while one is held.
final class DemoState: Sendable {
    // MARK: Types

    struct Arrival {
        var requestNumber: Int
        var injectedStatus: Int?
    }

    private struct Counters {
        var byMethodAndPath: [String: Int] = [:]
        var byPath: [String: Int] = [:]
        var total = 0
        var lastHeaders: [String: [(String, String)]] = [:]
        var failures: [String: (status: Int, remaining: Int)] = [:]
    }

    // MARK: Properties

    let voices = VoiceStore()
    let kling = KlingTaskStore()
    private let counters = Mutex(Counters())
    private let refusing = Mutex(false)
    private let ttsInFlight = Mutex([String: Int]())
    private let benchBodies = Mutex([Int: ByteBuffer]())
    private let boundPort = Mutex(0)

    // MARK: Requests

    /// Counts a request's arrival, remembers its headers and takes one injected failure for its path, if any.
    func recordArrival(method: String, path: String, headers: HTTPHeaders) -> Arrival {
        self.counters.withLock { counters in
            counters.total += 1
            counters.byMethodAndPath["\(method) \(path)", default: 0] += 1
            counters.byPath[path, default: 0] += 1
            counters.lastHeaders[path] = headers.map { ($0.name, $0.value) }
            var injected: Int?
            if let failure = counters.failures[path] {
                injected = failure.status
                counters.failures[path] = failure.remaining > 1 ? (failure.status, failure.remaining - 1) : nil
            }
            return Arrival(requestNumber: counters.byPath[path] ?? 1, injectedStatus: injected)
        }
    }

    func requestCount(method: String, path: String) -> Int {
        self.counters.withLock { $0.byMethodAndPath["\(method) \(path)"] ?? 0 }
    }

    /// Every "METHOD /path" count so far.
    func allCounts() -> [String: Int] {
        self.counters.withLock { $0.byMethodAndPath }
    }

    func totalRequests() -> Int {
        self.counters.withLock { $0.total }
    }

    func resetCounts() {
        self.counters.withLock { counters in
            counters.byMethodAndPath.removeAll()
            counters.byPath.removeAll()
            counters.total = 0
        }
    }

    func lastHeaders(path: String) -> [(String, String)]? {
        self.counters.withLock { $0.lastHeaders[path] }
    }

    func failNext(path: String, status: Int, count: Int) {
        self.counters.withLock { counters in
            counters.failures[path] = count > 0 ? (status, count) : nil
        }
    }

    // MARK: Connections

    var isRefusing: Bool {
        get { self.refusing.withLock { $0 } }
    }

    func setRefusing(_ value: Bool) {
        self.refusing.withLock { $0 = value }
    }

    var port: Int {
        self.boundPort.withLock { $0 }
    }

    func setPort(_ port: Int) {
        self.boundPort.withLock { $0 = port }
    }

    // MARK: TTS concurrency

    /// Takes a TTS slot for `key`; nil when `limit` are already in flight. Returns the count including this one.
    func beginTTS(key: String, limit: Int) -> Int? {
        self.ttsInFlight.withLock { inFlight in
            let current = inFlight[key] ?? 0
            guard current < limit else { return nil }
            inFlight[key] = current + 1
            return current + 1
        }
    }

    func endTTS(key: String) {
        self.ttsInFlight.withLock { inFlight in
            let remaining = (inFlight[key] ?? 1) - 1
            inFlight[key] = remaining > 0 ? remaining : nil
        }
    }

    // MARK: Benchmark bodies

    /// A body of `size` bytes, made once per size and shared afterwards (ByteBuffer copies are copy-on-write).
    func benchBody(size: Int) -> ByteBuffer {
        self.sharedBody(key: size, bytes: size) { $0.writeRepeatingByte(UInt8(ascii: "x"), count: size) }
    }

    /// `{"data":"xxx…"}` of exactly `size` bytes (at least 11), kept per size like `benchBody`.
    func benchJSON(size: Int) -> ByteBuffer {
        let bytes = max(size, 11)
        return self.sharedBody(key: -bytes, bytes: bytes) { buffer in
            buffer.writeStaticString("{\"data\":\"")
            buffer.writeRepeatingByte(UInt8(ascii: "x"), count: bytes - 11)
            buffer.writeStaticString("\"}")
        }
    }

    /// The body kept under `key`, written by `write` into a buffer of `bytes` the first time.
    private func sharedBody(key: Int, bytes: Int, _ write: (inout ByteBuffer) -> Void) -> ByteBuffer {
        if let cached = self.benchBodies.withLock({ $0[key] }) { return cached }
        var buffer = DemoResponse.allocator.buffer(capacity: bytes)
        write(&buffer)
        return self.benchBodies.withLock { bodies in
            if let raced = bodies[key] { return raced }
            bodies[key] = buffer
            return buffer
        }
    }
}
