import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file system calls the disk tier makes, with `errno` turned into `DiskError`. They block: the tier calls
/// them on its own threads (`NIOThreadPool`), never on an event loop, except `append` of a purge record.
enum Syscalls {
    static func openFile(_ path: String, _ flags: CInt, mode: mode_t = 0o644) throws(DiskError) -> CInt {
        let descriptor = open(path, flags | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw DiskError(errno: errno, operation: "open") }
        return descriptor
    }

    static func closeFile(_ descriptor: CInt) {
        _ = close(descriptor)
    }

    static func size(_ descriptor: CInt) throws(DiskError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw DiskError(errno: errno, operation: "fstat") }
        return Int(info.st_size)
    }

    /// Reads exactly `count` bytes at `offset` into a new buffer; throws on a short read (a truncated file).
    static func readBytes(_ descriptor: CInt, at offset: Int, count: Int) throws(DiskError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var done = 0
        while done < count {
            let result = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { pointer -> Int in
                let wanted = min(count - done, pointer.count)
                return pread(descriptor, pointer.baseAddress, wanted, off_t(offset + done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw DiskError(errno: errno, operation: "read")
            }
            if result == 0 { throw DiskError(kind: .truncated, operation: "read") }
            done += result
        }
        return buffer
    }

    /// Writes all of `buffer`.
    static func writeAll(_ descriptor: CInt, _ buffer: ByteBuffer) throws(DiskError) {
        var remaining = buffer
        while remaining.readableBytes > 0 {
            let written = remaining.withUnsafeReadableBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw DiskError(errno: errno, operation: "write")
            }
            remaining.moveReaderIndex(forwardBy: written)
        }
    }

    static func sync(_ descriptor: CInt) throws(DiskError) {
        guard fsync(descriptor) == 0 else { throw DiskError(errno: errno, operation: "fsync") }
    }

    static func syncData(_ descriptor: CInt) throws(DiskError) {
        guard fdatasync(descriptor) == 0 else { throw DiskError(errno: errno, operation: "fdatasync") }
    }

    static func renameFile(_ from: String, _ to: String) throws(DiskError) {
        guard rename(from, to) == 0 else { throw DiskError(errno: errno, operation: "rename") }
    }

    /// Removes a file; a file already gone is not an error.
    static func removeFile(_ path: String) {
        _ = unlink(path)
    }

    /// Creates a directory and its parents (those that exist are fine).
    static func makeDirectories(_ path: String) throws(DiskError) {
        var current = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw DiskError(errno: errno, operation: "mkdir \(current)")
            }
        }
    }

    /// The names in a directory (not `.` and `..`); empty when it cannot be read.
    static func names(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// An exclusive lock on `path` (created if needed), held until the returned descriptor is closed; nil when
    /// another process holds it.
    static func lock(_ path: String) throws(DiskError) -> CInt? {
        let descriptor = try Self.openFile(path, O_RDWR | O_CREAT)
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            Self.closeFile(descriptor)
            if code == EWOULDBLOCK { return nil }
            throw DiskError(errno: code, operation: "flock")
        }
        return descriptor
    }
}

/// A failed file operation: never a client's error (the entry is not stored, or the lookup is a miss).
public struct DiskError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        case system(errno: Int32)
        case truncated
        case corrupt(String)
    }

    public var kind: Kind
    public var operation: String

    init(errno: Int32, operation: String) {
        self.kind = .system(errno: errno)
        self.operation = operation
    }

    init(kind: Kind, operation: String) {
        self.kind = kind
        self.operation = operation
    }

    public var description: String {
        switch self.kind {
        case .system(let code): return "\(self.operation): \(String(cString: strerror(code)))"
        case .truncated: return "\(self.operation): the file is shorter than it says"
        case .corrupt(let what): return "\(self.operation): \(what)"
        }
    }

    /// A file that is not what it claims (short, bad checksum, not an entry): a miss, removed, counted as corrupt.
    var isCorruption: Bool {
        switch self.kind {
        case .truncated, .corrupt: return true
        case .system: return false
        }
    }
}
