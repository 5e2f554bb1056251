import Synchronization

/// The parsed value of recently seen one-line `Cache-Control` fields. Upstreams send the same few lines again and
/// again (`public, max-age=3600`), and a response's directives are read when it is stored, read back from L2, and
/// revalidated: parsing the line once instead of every time takes a list split, lower-casing and a string switch per
/// directive off those paths. Keyed by the exact line, so it returns what parsing would; bounded (it is emptied when
/// full, so lines a client invents cannot grow it).
final class CacheControlMemo: Sendable {
    static let shared = CacheControlMemo()

    /// Lines longer than this are parsed every time.
    static let longestLine = 256
    static let capacity = 512

    private let table = Mutex<[String: CacheControl]>([:])

    func value(for line: String) -> CacheControl? {
        self.table.withLock { $0[line] }
    }

    func remember(_ value: CacheControl, for line: String) {
        self.table.withLock { table in
            if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
            table[line] = value
        }
    }

    var count: Int { self.table.withLock { $0.count } }
}
