import Foundation
import RedisTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The test support's child processes (redis-server, the `reprise` executable): exit codes, signals, output files,
/// and no descriptor of the test process leaking into the child.
@Suite struct ChildProcessTests {
    @Test func exitCodeAndOutput() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "echo out; exit 3"], stdout: file.path)
        child.waitUntilExit()
        #expect(!child.isRunning)
        #expect(child.exitCode == 3)
        #expect(child.terminatingSignal == nil)
        #expect(try String(contentsOf: file, encoding: .utf8) == "out\n")
    }

    /// The child starts with every signal at its default, whatever this process (where service-lifecycle tests
    /// ignore SIGTERM) has set.
    @Test func aSignalEndsIt() throws {
        let child = try ChildProcess(executable: "/bin/sleep", arguments: ["30"])
        #expect(child.isRunning)
        child.signal(SIGTERM)
        child.waitUntilExit()
        #expect(child.exitCode == nil)
        #expect(child.terminatingSignal == SIGTERM)
    }

    @Test func onlyTheStandardDescriptorsReachTheChild() throws {
        // A descriptor opened without close-on-exec would be inherited by a plain fork and exec.
        let open = Glibc.open("/dev/null", O_RDONLY)
        #expect(open > 2)
        defer { close(open) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd"], stdout: file.path)
        child.waitUntilExit()
        let listed = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        #expect(!listed.contains(Int(open)), "\(listed)")
        // 0, 1 and 2; a shell may keep its own descriptors from 10 up.
        #expect(listed.filter { $0 > 2 && $0 < 10 }.isEmpty, "\(listed)")
    }
}
