import NIOCore
import NIOHTTP1
import NIOSSL
import TLSTestSupport
import Testing
import UpstreamHTTP
import UpstreamTestSupport

/// HTTPS upstreams: trusted through a private CA given as trust roots, refused without it.
@Suite struct TLSTests {
    private static func serverContext(_ certificates: TestCertificates) throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificates.leafPEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificates.leafKeyPEM.utf8), format: .pem))
        )
        return try NIOSSLContext(configuration: configuration)
    }

    @Test func anHTTPSUpstreamIsTrustedThroughItsPrivateCA() async throws {
        let certificates = try TestCertificates.make()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(certificates.caPEM.utf8), format: .pem)])
        let trusted = tls
        try await withFixture(
            serverTLS: try Self.serverContext(certificates),
            endpointHost: "localhost",
            configure: { $0.tlsConfiguration = trusted },
            script: { request in
                [.text("HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"), .text(response(body: "secure \(request.connection)"))]
            }
        ) { (f: Fixture) async throws in
            let first = try await f.client.run(request("/"), on: f.loop)
            #expect(first.error == nil)
            #expect(first.order.first == "1xx 103")
            #expect(first.text == "secure 1")
            #expect(try await f.client.run(request("/"), on: f.loop).text == "secure 1")
        }
    }

    @Test func withoutTheCATheHandshakeFailsAsTLS() async throws {
        let certificates = try TestCertificates.make()
        try await withFixture(
            serverTLS: try Self.serverContext(certificates),
            endpointHost: "localhost",
            script: { _ in [.text(response(body: "never"))] }
        ) { (f: Fixture) async throws in
            let reply = try await f.client.run(request("/"), on: f.loop)
            #expect(reply.error?.kind == .tls)
            #expect(reply.order == ["failed"])
            #expect(f.server.record.requests.isEmpty)
        }
    }
}
