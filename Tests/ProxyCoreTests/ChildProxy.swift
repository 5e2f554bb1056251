import Foundation
import RedisTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The built `reprise` executable running as a child process (`reprise --config <file>`), for what only a real
/// process shows: signals, the listener closing, the exit status.
final class ChildProxy {
    let process: ChildProcess
    private let directory: URL

    /// Starts `reprise --config <config> --threads 1`; its stdout and stderr go to files (see `output`, `log`).
    init(executable: URL, config: URL) throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["REPRISE_LOG_LEVEL"] = "info"
        self.process = try ChildProcess(
            executable: executable.path,
            arguments: ["--config", config.path, "--threads", "1"],
            environment: environment,
            stdout: self.directory.appendingPathComponent("stdout").path,
            stderr: self.directory.appendingPathComponent("stderr").path
        )
    }

    deinit {
        try? FileManager.default.removeItem(at: self.directory)
    }

    private func read(_ name: String) -> String {
        (try? String(contentsOf: self.directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    var output: String { self.read("stdout") }
    var log: String { self.read("stderr") }

    /// What the process printed so far, for failure messages.
    var transcript: String { "stdout:\n\(self.output)\nstderr:\n\(self.log)" }

    /// The proxy port, from the "listening on port N" line `reprise` prints once its listeners are bound.
    func waitForPort(timeout: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let port = Self.port(in: self.output) { return port }
            guard self.process.isRunning else {
                throw HarnessError("reprise exited (status \(self.process.exitCode ?? -1)) before listening\n\(self.transcript)")
            }
            if ContinuousClock.now > deadline {
                throw HarnessError("reprise printed no port within \(timeout)\n\(self.transcript)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The admin port, from the "admin API on port N" line printed before the proxy port's (nil without an admin
    /// listener, or before the line is complete).
    var adminPort: Int? { Self.port(in: self.output, after: "admin API on port ") }

    static func port(in output: String, after marker: String = "listening on port ") -> Int? {
        guard let range = output.range(of: marker) else { return nil }
        let digits = output[range.upperBound...].prefix { $0.isNumber }
        // The line is written in one piece, but a read may still split it: wait for the end of the line.
        guard output[range.upperBound...].dropFirst(digits.count).first == "\n" else { return nil }
        return Int(digits)
    }

    func send(_ signal: Int32) {
        self.process.signal(signal)
    }

    /// Waits for the process to end; returns its exit status (a signal death fails the wait).
    func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            if ContinuousClock.now > deadline {
                throw HarnessError("reprise still running \(timeout) after the signal\n\(self.transcript)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard let code = self.process.exitCode else {
            throw HarnessError("reprise died of signal \(self.process.terminatingSignal ?? -1)\n\(self.transcript)")
        }
        return code
    }

    /// For a test that failed half-way: the child must not outlive it.
    func killIfRunning() {
        guard self.process.isRunning else { return }
        self.send(SIGKILL)
        self.process.waitUntilExit()
    }
}

// MARK: - Locating the executable

extension ChildProxy {
    /// The `reprise` executable that `swift test` built.
    ///
    /// `swift test` builds every product of the package, the `reprise` executable included (its build log shows
    /// "Linking reprise" before "Linking reprisePackageTests.xctest"), into the products directory that also holds
    /// the test bundle: `.build/<triple>/debug/`, or `<scratch-path>/<triple>/debug/` with `--scratch-path`. So the
    /// executable is looked for beside the bundle:
    /// - on Linux the runner is the bundle itself, an executable (`…/debug/reprisePackageTests.xctest` is
    ///   `CommandLine.arguments[0]` and `Bundle.main.executableURL`), and `Bundle.main.bundleURL` is `…/debug/`;
    /// - on macOS the bundle is a directory (`…/debug/reprisePackageTests.xctest`) that `Bundle(for:)` finds, loaded
    ///   by a runner that lives elsewhere.
    /// `REPRISE_BIN` overrides the search; the last resort is `.build/debug/reprise` under the package root (found
    /// from this file's path), which may be stale if the tests were built elsewhere. Not found is an error: the
    /// signal tests fail rather than skip.
    static func executable() throws -> URL {
        var candidates: [URL] = []
        if let override = ProcessInfo.processInfo.environment["REPRISE_BIN"], !override.isEmpty {
            candidates.append(URL(fileURLWithPath: override))
        }
        let runners = [
            Bundle(for: BundleAnchor.self).bundleURL,
            Bundle.main.bundleURL,
            Bundle.main.executableURL,
            URL(fileURLWithPath: CommandLine.arguments[0]),
        ]
        for case let url? in runners {
            let path = url.standardizedFileURL.path
            if let range = path.range(of: ".xctest", options: .backwards) {
                // The bundle, or a file inside it: the products directory is the bundle's parent.
                let bundle = URL(fileURLWithPath: String(path[..<range.upperBound]))
                candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("reprise"))
            } else {
                // Linux's `Bundle.main.bundleURL`: the products directory itself.
                candidates.append(URL(fileURLWithPath: path).appendingPathComponent("reprise"))
            }
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/reprise"))

        var seen = Set<String>()
        candidates = candidates.filter { seen.insert($0.path).inserted }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        throw HarnessError(
            """
            the reprise executable was not found; looked at:
            \(candidates.map { "  \($0.path)" }.joined(separator: "\n"))
            Build it (`swift build --product reprise`) or set REPRISE_BIN to its path.
            """
        )
    }

    private final class BundleAnchor {}
}

// MARK: - Probing the listener

/// One TCP connection attempt to 127.0.0.1:`port`, closed at once: whether the listener accepted it.
enum ConnectProbe: Equatable {
    case accepted
    case refused
    case failed(errno: Int32)

    static func attempt(port: Int) -> ConnectProbe {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return .failed(errno: errno) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian  // 127.0.0.1
        // A blocking connect on loopback: an open listener completes it, a closed port refuses at once.
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result == 0 { return .accepted }
        return errno == ECONNREFUSED ? .refused : .failed(errno: errno)
    }
}
