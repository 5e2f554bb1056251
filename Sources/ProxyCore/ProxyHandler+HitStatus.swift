import CacheStore
import NIOCore
import Observability

/// A hit's `Age` and `Cache-Status`: the plain hit's written as bytes (the hot path), every other one from its
/// `RequestOutcome`.
extension ProxyHandler {
    /// A plain hit's outcome: from memory, or from the tier below that answered (`detail=disk`, `detail=l2`).
    static func plainHit(_ entry: CachedResponse, fromTier: CacheDetail?, now: Double) -> RequestOutcome {
        RequestOutcome(.hit, reason: fromTier.map { .proxy($0) }, ttl: entry.freshness.ttlSeconds(now: now))
    }

    /// `plainHit(...).headerValue`, written without building a string.
    static func writePlainHitStatus(ttl: Int, fromTier: CacheDetail?, into head: inout ByteBuffer) {
        head.writeStaticString("Reprise; hit; ttl=")
        ResponseWire.writeDecimal(ttl, into: &head)
        if let fromTier {
            head.writeStaticString("; detail=")
            head.writeString(fromTier.rawValue)
        }
    }

    /// `Age` and `Cache-Status`. A nil `outcome` is a plain hit's: `plainHit(entry, fromTier:now:)`, written without
    /// building a string (`ResponseWireTests` checks that the bytes are that outcome's `Cache-Status`).
    func writeCacheFields(
        _ entry: CachedResponse,
        fromTier: CacheDetail?,
        now: Double,
        outcome: RequestOutcome?,
        into head: inout ByteBuffer
    ) {
        head.writeStaticString("age: ")
        ResponseWire.writeDecimal(entry.freshness.ageHeaderValue(now: now), into: &head)
        head.writeStaticString("\r\ncache-status: ")
        if let outcome {
            head.writeString(outcome.headerValue)
        } else {
            Self.writePlainHitStatus(ttl: entry.freshness.ttlSeconds(now: now), fromTier: fromTier, into: &head)
        }
        head.writeStaticString("\r\n")
    }
}
