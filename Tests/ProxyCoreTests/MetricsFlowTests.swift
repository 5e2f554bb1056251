import AsyncHTTPClient
import NIOCore
import Testing

/// Metrics through the real listener: a known sequence of requests, then the scrape.
@Suite struct MetricsFlowTests {
    static let token = "metrics-flow-admin-token-1"
    static let config = """
        [server]
        listen = "127.0.0.1:0"
        admin_listen = "127.0.0.1:0"
        admin_token = "\(token)"

        [[rule]]
        name = "echo"
        match = "GET /test/echo"
        ttl = "1h"
        tags = ["echo"]

        [[purge]]
        name = "echo-writes"
        on = ["POST /test/echo"]
        tags = ["echo"]
        """

    @Test func theScrapeCountsExactlyWhatHappened() async throws {
        try await withHarness(Self.config) { h in
            _ = try await h.get("/test/echo")  // miss, stored
            _ = try await h.get("/test/echo")  // hit
            _ = try await h.get("/test/echo")  // hit
            _ = try await h.request(.POST, "/test/echo", body: ByteBuffer(string: "x"))  // write: purges 1 entry
            let scrape = try await h.admin(.GET, "/metrics", token: Self.token)
            #expect(scrape.status == 200)
            #expect(scrape.headers.first(name: "content-type")?.hasPrefix("text/plain") == true)
            let text = scrape.text
            func value(_ prefix: String, _ labels: [String]) -> String? {
                text.split(separator: "\n").first { line in
                    line.hasPrefix(prefix + "{") && labels.allSatisfy { line.contains($0) }
                }.flatMap { $0.split(separator: " ").last.map(String.init) }
            }
            #expect(value("reprise_requests_total", [#"cache="hit""#, #"rule="echo""#]) == "2")
            #expect(value("reprise_requests_total", [#"cache="miss""#, #"rule="echo""#]) == "1")
            #expect(value("reprise_requests_total", [#"cache="pass""#]) == "1")
            #expect(value("reprise_cache_hits_total", [#"rule="echo""#]) == "2")
            #expect(value("reprise_purges_total", [#"rule="echo-writes""#, #"source="write""#]) == "1")
            // Labels are configured names and fixed words: no path, no query, no credential.
            #expect(!text.contains("/test/echo"))
            #expect((try await h.admin(.GET, "/metrics")).status == 401)
        }
    }
}
