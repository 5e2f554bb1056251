import DemoUpstream
import Foundation
import ProxyCore
import RedisTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a new user met on the command line (issue 14, part 4), with the built `reprise` executable.
@Suite struct CommandLineTests {
    /// Runs `reprise` with `arguments` in `directory` (through `/bin/sh`, to set the working directory); returns
    /// the exit status, stdout and stderr.
    func run(_ arguments: [String], in directory: URL? = nil) async throws -> (status: Int32, out: String, err: String) {
        let executable = try ChildProxy.executable()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let quoted = ([executable.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let command = "cd '\((directory ?? scratch).path)' && exec " + quoted.joined(separator: " ")
        let out = scratch.appendingPathComponent("out").path
        let err = scratch.appendingPathComponent("err").path
        let process = try ChildProcess(executable: "/bin/sh", arguments: ["-c", command], stdout: out, stderr: err)
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.signal(SIGKILL)
                throw HarnessError("reprise \(arguments) did not exit")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return (process.exitCode ?? -1, read(out), read(err))
    }

    @Test func versionIsPrinted() async throws {
        let result = try await self.run(["--version"])
        #expect(result.status == 0)
        #expect(result.out == "reprise \(RepriseVersion.current)\n")
    }

    @Test func checkWithoutAProxyConfHereNamesTheWayThatWorks() async throws {
        let result = try await self.run(["check"])
        #expect(result.status == 1)
        #expect(result.err.contains("proxy.conf: the file does not exist."), "\(result.err)")
        #expect(result.err.contains("reprise check PATH"))
        #expect(!result.err.contains("pass --config"))
    }

    @Test func aTakenPortIsNamed() async throws {
        let taken = DemoUpstream()
        let port = try await taken.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-port-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("proxy.conf")
        try """
        [server]
        listen = "127.0.0.1:\(port)"

        [[upstream]]
        name = "demo"
        prefix = "/"
        url = "http://127.0.0.1:\(port)"
        """.write(to: config, atomically: true, encoding: .utf8)
        let result = try await self.run(["--config", config.path, "--threads", "1"])
        try await taken.shutdown()
        #expect(result.status == 1)
        #expect(
            result.err.contains("cannot listen on 127.0.0.1:\(port) (server.listen): the address is already in use"),
            "\(result.err)"
        )
    }
}
