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
    func run(
        _ arguments: [String],
        in directory: URL? = nil,
        stdin: String? = nil
    ) async throws -> (status: Int32, out: String, err: String) {
        let executable = try ChildProxy.executable()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let quoted = ([executable.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var command = "cd '\((directory ?? scratch).path)' && exec " + quoted.joined(separator: " ")
        if let stdin {
            let input = scratch.appendingPathComponent("in")
            try stdin.write(to: input, atomically: true, encoding: .utf8)
            command += " < '\(input.path)'"
        }
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

    @Test func partitionIDReadsTheKeyOnStandardInputAndPrintsItsLedgerID() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-pid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let upstream = "[[upstream]]\nname = \"demo\"\nprefix = \"/\"\nurl = \"http://127.0.0.1:1\"\n"
        let withSecret = directory.appendingPathComponent("with.conf")
        try ("[cache]\nkey_secret = \"\(LedgerTests.secret)\"\n\n" + upstream).write(to: withSecret, atomically: true, encoding: .utf8)
        let result = try await self.run(["partition-id", "--config", withSecret.path], stdin: "key-A\n")
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out == PartitionID.of(key: "key-A", secret: Array(LedgerTests.secret.utf8)) + "\n")
        #expect(!result.out.contains("key-A") && !result.err.contains("key-A"))

        let withoutSecret = directory.appendingPathComponent("without.conf")
        try upstream.write(to: withoutSecret, atomically: true, encoding: .utf8)
        let refused = try await self.run(["partition-id", "--config", withoutSecret.path], stdin: "key-A")
        #expect(refused.status == 1)
        #expect(refused.err.contains("sets no key_secret"), "\(refused.err)")
        let empty = try await self.run(["partition-id", "--config", withSecret.path], stdin: "")
        #expect(empty.status == 64 && empty.err.contains("no key on standard input"))
    }
}
