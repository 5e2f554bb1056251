import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `redis-server` child process on a free loopback port, for the tests of every Redis-backed target.
///
/// Persistence is off (`--save ''`, `--appendonly no`), so a restart starts empty; `DEBUG` is
/// enabled (`--enable-debug-command yes`) for the timeout tests. The server can be killed with
/// SIGKILL and restarted on the same port. Owned and used by one test at a time.
public final class RedisServerProcess {
    public struct StartupError: Error, CustomStringConvertible {
        public let description: String
        /// redis-server exited (e.g. its port was taken), as opposed to not answering.
        var exited = false
    }

    public static let executable = "/usr/bin/redis-server"

    /// The TCP port on 127.0.0.1.
    public private(set) var port: Int
    /// The `requirepass` password, if any.
    public let password: String?
    private let directory: URL
    private var process: ChildProcess?

    /// Starts a server on a free port and returns once it answers PING.
    public init(password: String? = nil) async throws {
        self.password = password
        self.directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redis-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        self.port = try await Self.freePort()
        // Tests run in parallel: another listener can take the port between our probe and redis-server's bind.
        // Then redis-server exits at once, and a fresh port is tried.
        var attempt = 1
        while true {
            do {
                try await self.start()
                return
            } catch let error as StartupError where error.exited && attempt < 5 {
                attempt += 1
                self.port = try await Self.freePort()
            }
        }
    }

    deinit {
        self.kill()
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// Starts (or restarts) the server on ``port`` and returns once it answers PING.
    public func start() async throws {
        precondition(self.process == nil, "the server is already running")
        var arguments = [
            "--port", String(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--enable-debug-command", "yes",
            "--dir", self.directory.path,
            "--logfile", "redis.log",
        ]
        if let password {
            arguments += ["--requirepass", password]
        }
        let process = try ChildProcess(executable: Self.executable, arguments: arguments)
        self.process = process
        try await self.waitUntilAnswering(process)
    }

    /// Kills the server with SIGKILL (no shutdown, no goodbye to clients) and reaps it.
    public func kill() {
        guard let process = self.process else {
            return
        }
        self.process = nil
        process.signal(SIGKILL)
        process.waitUntilExit()
    }

    /// Polls a TCP connect + PING every 10 ms until the server answers (`+PONG`, or `-NOAUTH`
    /// with a password), for at most 30 s. The blocking probe runs on NIO's thread pool, never on a thread of the
    /// cooperative pool (two threads on a 2-core machine, which parallel tests must not be starved of).
    private func waitUntilAnswering(_ process: ChildProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                self.process = nil
                throw StartupError(description: "redis-server exited during startup: \(self.logTail())", exited: true)
            }
            let port = self.port
            if try await NIOThreadPool.singleton.runIfActive({ Self.answersPing(port: port) }) {
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw StartupError(description: "redis-server did not answer PING within 30 s: \(self.logTail())")
    }

    private func logTail() -> String {
        let log = (try? String(contentsOf: self.directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
        // The last lines say why (the start of the log is a banner).
        return log.split(separator: "\n").suffix(3).joined(separator: " | ")
    }

    /// A port that was free a moment ago: the kernel's pick for a socket bound to port 0.
    private static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = channel.localAddress?.port
        try await channel.close()
        guard let port else {
            throw StartupError(description: "no port from a socket bound to port 0")
        }
        return port
    }

    /// One blocking connect + PING with a 1 s receive timeout.
    private static func answersPing(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else {
            return false
        }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            return false
        }
        let ping = Array("*1\r\n$4\r\nPING\r\n".utf8)
        guard write(fd, ping, ping.count) == ping.count else {
            return false
        }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &reply, reply.count)
        guard count > 0 else {
            return false
        }
        let text = String(decoding: reply[0..<count], as: UTF8.self)
        return text.hasPrefix("+PONG") || text.hasPrefix("-NOAUTH")
    }
}

