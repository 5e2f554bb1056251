import NIOCore
import NIOPosix
import NIOSSL
import UpstreamHTTP
import UpstreamTestSupport

/// A scripted upstream and a client pointed at it, torn down after the test body.
struct Fixture: Sendable {
    let clientGroup: MultiThreadedEventLoopGroup
    let server: ScriptedServer
    let client: UpstreamClient

    /// The first loop of the client group (tests on one loop use this one).
    var loop: EventLoop {
        self.clientGroup.any()
    }

    /// The idle connections pooled on `loop`.
    func idleCount(on loop: EventLoop? = nil) async throws -> Int {
        try await self.client.idleConnectionCount(on: loop ?? self.loop).get()
    }
}

/// Runs `body` against a fresh ``ScriptedServer`` and ``UpstreamClient``.
func withFixture(
    clientThreads: Int = 1,
    serverTLS: NIOSSLContext? = nil,
    respondOnHead: Bool = false,
    endpointHost: String = "127.0.0.1",
    configure: (inout UpstreamClientConfiguration) -> Void = { _ in },
    script: @escaping ScriptedServer.Script,
    _ body: (Fixture) async throws -> Void
) async throws {
    let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: clientThreads)
    let server = try await ScriptedServer.start(group: serverGroup, tls: serverTLS, respondOnHead: respondOnHead, script: script)
    var configuration = UpstreamClientConfiguration(connectTimeout: .seconds(5), readTimeout: .seconds(10))
    // Pooled connections stay until a test ages them out itself: the default (4 s) could close one while a slow,
    // loaded machine is between two steps of a test that counts closed connections, which then waits forever.
    configuration.idleTimeout = .seconds(600)
    configure(&configuration)
    let endpoint = UpstreamEndpoint(host: endpointHost, port: server.port, tls: serverTLS != nil)
    do {
        let client = try UpstreamClient(endpoint: endpoint, configuration: configuration, group: clientGroup)
        let fixture = Fixture(clientGroup: clientGroup, server: server, client: client)
        do {
            try await body(fixture)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    } catch {
        await server.stop()
        try await clientGroup.shutdownGracefully()
        try await serverGroup.shutdownGracefully()
        throw error
    }
    await server.stop()
    try await clientGroup.shutdownGracefully()
    try await serverGroup.shutdownGracefully()
}

/// A raw HTTP/1.1 response with a `Content-Length` body.
func response(
    _ status: String = "200 OK",
    headers: [String] = [],
    body: String = "",
    version: String = "HTTP/1.1"
) -> String {
    var text = "\(version) \(status)\r\n"
    for header in headers {
        text += header + "\r\n"
    }
    text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    return text
}
