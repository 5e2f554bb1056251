import ArgumentParser
import DemoUpstream
import Foundation
import UnixSignals

/// `reprise upstream --listen 127.0.0.1:18080`: runs only the demo upstream (for benchmarks and manual tries).
struct UpstreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upstream",
        abstract: "Run the demo upstream (fake ElevenLabs, Gemini, Kling and app backend) alone."
    )

    @Option(help: "host:port to listen on (port 0 picks a free port, printed on stdout).")
    var listen: String = "127.0.0.1:18080"

    @Flag(help: "Gzip answers for clients that accept gzip without adding Vary: Accept-Encoding, as Gemini does.")
    var gzipWithoutVary = false

    func run() async throws {
        guard let colon = self.listen.lastIndex(of: ":"), let port = Int(self.listen[self.listen.index(after: colon)...]) else {
            throw ValidationError("--listen takes host:port, e.g. 127.0.0.1:18080")
        }
        // Trapped before the port opens, so that a stop sent as soon as it answers still shuts down cleanly.
        let stops = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        var options = DemoUpstream.Options()
        options.gzipWithoutVary = self.gzipWithoutVary
        let upstream = DemoUpstream(options: options)
        let bound = try await upstream.start(host: String(self.listen[..<colon]), port: port)
        FileHandle.standardOutput.write(Data("demo upstream listening on \(self.listen[..<colon]):\(bound)\n".utf8))
        // Runs until SIGTERM or SIGINT; demo requests in flight are not waited for.
        for await _ in stops { break }
        try await upstream.shutdown()
    }
}
