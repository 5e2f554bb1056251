import CDiskSupport
import CacheStore
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The disk tier's purge journal: one line per purge, appended before the purge is applied, so that a purge survives
/// a crash whatever state its file removals were in, and so that purges that arrive while the start-up scan is still
/// reading reach the files it has not read yet.
///
/// A line: `sequence TAB kind TAB partition TAB value TAB crc NEWLINE`, the CRC-32C (hex) of everything before it. A line
/// that was cut by a crash fails its check and is ignored (its purge had not returned). Request targets, tags and
/// partitions never contain tabs or newlines (the request parser and the config refuse them).
///
/// Durability: each line is written with one `write` before the purge is applied (a process crash, `SIGKILL`
/// included, keeps it: the data is in the kernel), and `fdatasync`ed at once on the tier's threads, after which a power
/// loss keeps it too. The journal is rewritten without the purges every file on disk already reflects when it grows.
final class DiskJournal: @unchecked Sendable {
    // @unchecked: `descriptor` and `lines` are only touched with `lock` held.
    private let lock = NIOLock()
    private var descriptor: CInt
    private(set) var lines = 0
    let path: String

    struct Record: Sendable {
        var sequence: UInt64
        var purge: Purge
    }

    init(path: String) throws(DiskError) {
        self.path = path
        self.descriptor = try Syscalls.openFile(path, O_WRONLY | O_CREAT | O_APPEND)
    }

    deinit {
        Syscalls.closeFile(self.descriptor)
    }

    /// Every intact record of the journal at `path`, in order.
    static func read(_ path: String) -> [Record] {
        guard let descriptor = try? Syscalls.openFile(path, O_RDONLY) else { return [] }
        defer { Syscalls.closeFile(descriptor) }
        guard let size = try? Syscalls.size(descriptor), size > 0,
            let bytes = try? Syscalls.readBytes(descriptor, at: 0, count: size)
        else { return [] }
        let text = String(buffer: bytes)
        return text.split(separator: "\n").compactMap { Self.record(String($0)) }
    }

    /// Appends the purges, one line each, in one write.
    func append(_ records: [Record]) throws(DiskError) {
        guard !records.isEmpty else { return }
        let text = records.map(Self.line).joined()
        self.lock.lock()
        defer { self.lock.unlock() }
        try Syscalls.writeAll(self.descriptor, ByteBuffer(string: text))
        self.lines += records.count
    }

    /// Makes what was appended survive a power loss.
    func sync() {
        let descriptor = self.lock.withLock { self.descriptor }
        _ = try? Syscalls.syncData(descriptor)
    }

    /// Replaces the journal with `records` (those a crash could still need), atomically: a new file, synced, renamed
    /// over the old one.
    func rewrite(keeping records: [Record]) throws(DiskError) {
        let temporary = self.path + ".new"
        let descriptor = try Syscalls.openFile(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do throws(DiskError) {
            try Syscalls.writeAll(descriptor, ByteBuffer(string: records.map(Self.line).joined()))
            try Syscalls.sync(descriptor)
        } catch {
            Syscalls.closeFile(descriptor)
            Syscalls.removeFile(temporary)
            throw error
        }
        self.lock.lock()
        defer { self.lock.unlock() }
        try Syscalls.renameFile(temporary, self.path)
        Syscalls.closeFile(self.descriptor)
        self.descriptor = descriptor
        _ = lseek(descriptor, 0, SEEK_END)
        self.lines = records.count
    }

    // MARK: - Lines

    static func line(_ record: Record) -> String {
        let (kind, value): (String, String)
        switch record.purge.selector {
        case .target(let v): (kind, value) = ("target", v)
        case .path(let v): (kind, value) = ("path", v)
        case .prefix(let v): (kind, value) = ("prefix", v)
        case .pattern(let v): (kind, value) = ("pattern", v)
        case .tag(let v): (kind, value) = ("tag", v)
        case .key(let v): (kind, value) = ("key", v)
        case .all: (kind, value) = ("all", "")
        }
        let clean = { (text: String) in String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 }) }
        let body = "\(record.sequence)\t\(kind)\t\(clean(record.purge.partition ?? "*"))\t\(clean(value))"
        return body + "\t" + String(Self.crc(body), radix: 16) + "\n"
    }

    static func record(_ line: String) -> Record? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 5, let sequence = UInt64(fields[0]), let crc = UInt32(fields[4], radix: 16),
            crc == Self.crc(fields[0..<4].joined(separator: "\t"))
        else { return nil }
        let value = fields[3]
        let selector: Purge.Selector
        switch fields[1] {
        case "target": selector = .target(value)
        case "path": selector = .path(value)
        case "prefix": selector = .prefix(value)
        case "pattern": selector = .pattern(value)
        case "tag": selector = .tag(value)
        case "key": selector = .key(value)
        case "all": selector = .all
        default: return nil
        }
        return Record(sequence: sequence, purge: Purge(selector, partition: fields[2] == "*" ? nil : fields[2]))
    }

    private static func crc(_ text: String) -> UInt32 {
        var text = text
        return text.withUTF8 { reprise_crc32c(0, $0.baseAddress, $0.count) }
    }
}
