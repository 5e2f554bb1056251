import ArgumentParser
import DemoUpstream
import Foundation

/// `reprise upstream --listen 127.0.0.1:18080`: runs only the demo upstream (for benchmarks and manual tries).
struct UpstreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upstream",
        abstract: "Run the demo upstream (fake ElevenLabs, Gemini, Kling and app backend) alone."
    )

    @Option(help: "host:port to listen on.")
    var listen: String = "127.0.0.1:18080"

    func run() async throws {
        guard let colon = self.listen.lastIndex(of: ":"), let port = Int(self.listen[self.listen.index(after: colon)...]) else {
            throw ValidationError("--listen takes host:port, e.g. 127.0.0.1:18080")
        }
        let upstream = DemoUpstream()
        let bound = try await upstream.start(host: String(self.listen[..<colon]), port: port)
        print("demo upstream listening on \(self.listen[..<colon]):\(bound)")
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT])
        for await _ in signals.stream { signals.finish() }
        try await upstream.shutdown()
    }
}
