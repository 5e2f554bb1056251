import CacheStore
import HTTPCaching
import NIOHTTP1
import Observability

/// Turns an upstream response into a pending store entry, or says why it will not be stored. Shared by the
/// client path, revalidations and background refreshes.
enum StoragePlanner {
    enum Decision {
        case store(PendingEntry)
        case skip(reason: OutcomeReason)
    }

    static func decide(
        method: String = "GET",
        requestHeaders: HTTPHeaders,
        requestTime: Double,
        plan: StorePlan,
        status: Int,
        headers: HTTPHeaders,
        now: Double,
        maxObject: Int
    ) -> Decision {
        if let reason = Storability.check(
            method: method,
            requestHeaders: plan.storabilityHeaders,
            status: status,
            responseHeaders: headers,
            policy: plan.policy
        ) {
            return .skip(reason: .notStorable(reason))
        }
        if let length = headers.first(name: "content-length").flatMap({ Int($0) }), length > maxObject {
            return .skip(reason: .proxy(.tooLarge))
        }
        guard let vary = VaryKey(varyFieldValues: headers["vary"], requestHeaders: requestHeaders) else {
            return .skip(reason: .notStorable(.varyStar))
        }
        let freshness = Freshness.compute(
            requestTime: requestTime,
            responseTime: now,
            status: status,
            responseHeaders: headers,
            policy: plan.policy
        )
        let info = StoredResponseInfo(status: status, responseHeaders: headers, freshness: freshness)
        var stored = self.storedHeaders(headers, info: info)
        // The entry's name travels with it: written on every hit (pre-encoded), kept in L2, kept by 304 merges.
        stored.replaceOrAdd(name: ClientControls.keyField, value: plan.keyID)
        if ContentCoding.of(stored) != nil, !ContentCoding.variesOnAcceptEncoding(stored) {
            // A coded entry is also served decoded (to clients that do not accept the coding): caches after Reprise
            // must know that the answer depends on Accept-Encoding.
            stored.add(name: "vary", value: "Accept-Encoding")
        }
        return .store(
            PendingEntry(
                status: status,
                headers: stored,
                vary: vary,
                info: info,
                evictAt: self.evictAt(info: info, defaults: plan.staleDefaults, now: now),
                collector: BodyCollector(limit: maxObject)
            )
        )
    }

    /// The fields kept with the entry: not `Age` (recomputed on every hit), not the fields `private="..."` or
    /// `no-cache="..."` name (RFC 9111 §5.2.2.4, §5.2.2.7: never sent from the cache without revalidation).
    static func storedHeaders(_ headers: HTTPHeaders, info: StoredResponseInfo) -> HTTPHeaders {
        var stored = headers
        stored.remove(name: "age")
        for name in info.cacheControl.privateFields + info.cacheControl.noCacheFields {
            stored.remove(name: name)
        }
        return stored
    }

    /// How long the store keeps an entry past its freshness: its stale windows, or a day when it has a validator
    /// (a 304 is cheaper than a refetch), or ten minutes for clients that accept stale responses (`max-stale`).
    /// The LRU evicts earlier under memory pressure.
    static func evictAt(info: StoredResponseInfo, defaults: StaleDefaults, now: Double) -> Double {
        let staleWindow = max(
            Double(info.cacheControl.staleWhileRevalidate ?? 0),
            Double(info.cacheControl.staleIfError ?? 0),
            defaults.staleWhileRevalidate ?? 0,
            defaults.staleIfError ?? 0
        )
        let retention: Double = info.hasValidator ? 86_400 : 600
        return now + max(0, info.freshness.timeToLive(now: now)) + max(staleWindow, retention)
    }

    /// The stored response after a matching 304 (RFC 9111 §4.3.4): merged fields, new freshness, same body.
    static func refreshed(
        _ entry: CachedResponse,
        notModified: HTTPHeaders,
        requestTime: Double,
        now: Double,
        plan: StorePlan
    ) -> CachedResponse? {
        let merged = Revalidation.mergeHeaders(
            stored: entry.headers.map { (name: $0.name, value: $0.value) },
            notModified: notModified.map { (name: $0.name, value: $0.value) }
        )
        let headers = HTTPHeaders(merged.map { ($0.name, $0.value) })
        if Storability.check(method: "GET", requestHeaders: HTTPHeaders(), status: entry.status, responseHeaders: headers, policy: plan.policy) == .noStore {
            return nil
        }
        let freshness = Freshness.compute(
            requestTime: requestTime,
            responseTime: now,
            status: entry.status,
            responseHeaders: headers,
            policy: plan.policy
        )
        let info = StoredResponseInfo(status: entry.status, responseHeaders: headers, freshness: freshness)
        let stored = self.storedHeaders(headers, info: info)
        return CachedResponse(entry, headers: stored, info: info, evictAt: self.evictAt(info: info, defaults: plan.staleDefaults, now: now))
    }
}
