import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process of the tests, started with `posix_spawn`: stdin from /dev/null, stdout and stderr to files,
/// every other descriptor closed in the child, every signal at its default.
///
/// Not Foundation's `Process`: on Linux its `run()` lists /proc/self/fd to close inherited descriptors, and it
/// crashed there (a `memcpy` in `findMaximumOpenFromProcSelfFD`) while other tests opened and closed sockets on
/// hundreds of event-loop threads.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// The raw wait status, once the child has been reaped.
    private let status = NIOLockedValueBox<Int32?>(nil)

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable` with `arguments`. `environment` nil: this process's environment.
    public init(
        executable: String,
        arguments: [String],
        environment: [String: String]? = nil,
        stdout: String = "/dev/null",
        stderr: String = "/dev/null"
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        Self.addCloseFrom?(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var envp: [UnsafeMutablePointer<CChar>?] = [nil]
        if let environment {
            envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { if environment != nil { for pointer in envp { free(pointer) } } }

        // Signals back to their defaults and none blocked: a test process that ignores SIGTERM or SIGHUP (as
        // a service-lifecycle test does) would otherwise hand that on to the child through exec.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var pid = pid_t()
        let result: Int32
        if environment != nil {
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        } else {
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard result == 0 else {
            throw SpawnError(description: "posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not
    /// export: every descriptor from 3 up is closed in the child. Without it the child inherits only what was
    /// opened without close-on-exec (NIO opens its sockets, epoll and event descriptors with it).
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(
            symbol,
            to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self
        )
        #else
        return nil
        #endif
    }()

    deinit {
        if self.isRunning {
            self.signal(SIGKILL)
            _ = self.waitUntilExit()
        }
    }

    /// Whether the child has not exited yet (reaps it when it has).
    public var isRunning: Bool { self.reap(blocking: false) == nil }

    public func signal(_ signal: Int32) {
        guard self.status.withLockedValue({ $0 }) == nil else { return }
        _ = kill(self.pid, signal)
    }

    /// Blocks until the child exits; returns the raw wait status.
    @discardableResult
    public func waitUntilExit() -> Int32 {
        self.reap(blocking: true) ?? 0
    }

    /// The exit code when the child exited normally; nil while it runs or when a signal ended it.
    public var exitCode: Int32? {
        guard let status = self.reap(blocking: false), status & 0x7F == 0 else { return nil }
        return (status >> 8) & 0xFF
    }

    /// The signal that ended the child, if one did.
    public var terminatingSignal: Int32? {
        guard let status = self.reap(blocking: false) else { return nil }
        let signal = status & 0x7F
        return signal != 0 && signal != 0x7F ? signal : nil
    }

    private func reap(blocking: Bool) -> Int32? {
        self.status.withLockedValue { status in
            if let status { return status }
            var raw: Int32 = 0
            while true {
                let result = waitpid(self.pid, &raw, blocking ? 0 : WNOHANG)
                if result == self.pid {
                    status = raw
                    return raw
                }
                if result == -1 && errno == EINTR { continue }
                return nil
            }
        }
    }
}
