import DemoUpstream
import Foundation
import NIOSSL
import TLSTestSupport
import Testing

@Suite struct TLSTests {
    @Test func anHTTPSUpstreamIsTrustedThroughItsPrivateCA() async throws {
        let certificates = try TestCertificates.make()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let caFile = directory.appendingPathComponent("ca.pem")
        try certificates.caPEM.write(to: caFile, atomically: true, encoding: .utf8)

        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificates.leafPEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificates.leafKeyPEM.utf8), format: .pem))
        )
        tls.minimumTLSVersion = .tlsv12
        var options = DemoUpstream.Options()
        options.tls = try NIOSSLContext(configuration: tls)

        let config = """
            [[upstream]]
            name = "secure"
            prefix = "/"
            url = "{UPSTREAM}"
            ca_file = "\(caFile.path)"
            """
        try await withHarness(config, upstreamOptions: options) { h in
            let path = "/test/cache?cc=\(q("max-age=60"))"
            let first = try await h.get(path)
            #expect(first.status == 200)
            #expect(first.text.hasPrefix("cache-test"))
            #expect(try await h.get(path).isHit)
        }

        // Without the CA the upstream's certificate is not trusted: 502, never a silent downgrade.
        let untrusted = """
            [[upstream]]
            name = "secure"
            prefix = "/"
            url = "{UPSTREAM}"
            connect_timeout = "2s"
            """
        try await withHarness(untrusted, upstreamOptions: options) { h in
            let reply = try await h.get("/test/echo")
            #expect(reply.status == 502)
        }
    }
}
