import NIOCore
import Observability
import Testing

@testable import ProxyCore

@Suite("ResponseWire")
struct ResponseWireTests {
    @Test(arguments: [0, 7, 10, 99, 3599, 86_400, -1, -3600, 2_147_483_648, Int.max, Int.min + 1])
    func writesDecimalsInPlace(_ value: Int) {
        var buffer = ByteBuffer(string: "age: ")
        ResponseWire.writeDecimal(value, into: &buffer)
        #expect(String(buffer: buffer) == "age: \(value)")
    }

    /// The plain hit's `Cache-Status`, written as bytes on the hit path, is the one its `RequestOutcome` gives.
    @Test(arguments: [
        (3512, nil), (0, nil), (-5, nil), (60, CacheDetail.disk), (1, CacheDetail.l2),
    ] as [(Int, CacheDetail?)])
    func thePlainHitsBytesAreItsOutcomesCacheStatus(ttl: Int, tier: CacheDetail?) {
        var buffer = ByteBuffer()
        ProxyHandler.writePlainHitStatus(ttl: ttl, fromTier: tier, into: &buffer)
        let outcome = RequestOutcome(.hit, reason: tier.map { .proxy($0) }, ttl: ttl)
        #expect(String(buffer: buffer) == outcome.headerValue)
    }
}
