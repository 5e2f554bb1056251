import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import Observability
import RedisCache

/// What the handler knows about the request it is answering.
struct RequestState {
    let head: HTTPRequestHead
    let route: Route
    let table: RoutingTable
    /// Client path without the query.
    let path: String
    /// When the request arrived (epoch seconds): the RFC 9111 §4.2.3 request_time.
    let requestTime: Double

    /// Why the request goes upstream (the `Cache-Status` fwd parameter).
    var forward: CacheStatus.ForwardReason = .uriMiss
    /// Why the response will not be stored, when known before the upstream answers.
    var reason: OutcomeReason?
    /// Set when the response may be stored under this key.
    var plan: StorePlan?
    var exchange: UpstreamExchange?
    var responseStarted = false
    /// The response being stored while it streams; nil when it will not be stored.
    var pending: PendingEntry?
    /// The stored response this request found but could not use as it is: revalidated upstream, and the
    /// fallback when the upstream fails (stale-if-error).
    var stale: CachedResponse?
    /// The forwarded request carries our validators (RFC 9111 §4.3.1), not the client's conditionals.
    var revalidating = false
    /// One pass over the request fields.
    let traits: RequestTraits
    /// Set when this request leads a coalesced fetch: what it receives is published to the followers.
    var fetch: CoalescedFetch?
    /// Set when this request follows another one's fetch.
    var subscription: CoalescedFetch.Subscription?
    /// Identifies this request's follower events (0 when not following).
    var followToken = 0
    /// A body-keyed request's body while it is being read (before the lookup); nil otherwise.
    var keyedBody: ByteBuffer?
    /// The response is cached by request body (`cache_body`).
    var bodyKeyed = false
    /// The identity part of a body-keyed request's key, computed when its body starts.
    var requestKey: RequestKey?
    /// Purge journal number and each tier's token when the upstream fetch began: what it fetched is stored only if
    /// no purge that selects it ran meanwhile.
    var fetchMark: TieredStore<CachePolicy>.FetchMark?
    /// Identifies the lookup below memory in flight for this request (0 when none).
    var lowerToken = 0
    /// The tier below memory that answered (`disk`, `l2`); nil for memory or the upstream.
    var fromTier: CacheDetail?
    /// Fleet mode: this request leads its key's fetch here and waits on the fleet (another instance's claim).
    var flight: ProxyHandler.FlightWait?
    /// Fleet mode: this request holds the fleet's claim on its key while it fetches; released with what became of
    /// the response.
    var lease: FlightLease?
    /// `Reprise-Cache-TTL` and `Reprise-Cache-Namespace`, on a rule with `client_controls`.
    var controls: ClientControls?
    /// Decodes the response body for a client that does not accept its content coding.
    var decoder: ContentDecoder?
    /// Who sent the request (for the forwarding fields of a background refresh it triggers).
    var peer = ClientPeer(ip: nil, trusted: false)
    /// A client-forced refresh (`no-cache`) that may not replace the entry it refreshes (`client_refresh = "own"`
    /// on an entry other clients share): its response is served to this client only.
    var refreshMayNotStore = false
    /// A response whose head waits for its body: the rule judges or costs it from the body (`HeldResponse`).
    var held: HeldResponse?
    /// The call's cost as the response head tells it (`cost_header`, `cost_fixed`).
    var headUnits: Int?

    init(head: HTTPRequestHead, route: Route, table: RoutingTable, path: String, now: Double, traits: RequestTraits) {
        self.head = head
        self.route = route
        self.table = table
        self.path = path
        self.requestTime = now
        self.traits = traits
    }
}

/// Where a cacheable response would be stored.
struct StorePlan {
    let key: String
    /// The key's short name, computed when first asked for (see `KeyName`).
    let keyName: KeyName
    let partition: String
    /// The client target as stored (credential query parameters removed).
    let target: String
    let policy: StoragePolicy
    let staleDefaults: StaleDefaults
    /// The request headers the storability check sees (see `RequestKey.headersForStorability`).
    let storabilityHeaders: HTTPHeaders

    /// The key's short name (`Reprise-Cache-Key`, purges by key): `CredentialHasher.keyID(key)`.
    var keyID: String { self.keyName.value }
}

/// A response that is being stored as it streams; committed only when the upstream finished cleanly.
struct PendingEntry {
    let status: Int
    let headers: HTTPHeaders
    let vary: VaryKey
    let info: StoredResponseInfo
    let evictAt: Double
    var collector: BodyCollector

    /// The upstream sent no length (a stream): the replay keeps chunked framing and the chunk boundaries.
    var isChunked: Bool { !self.headers.contains(name: "content-length") }

    /// The entry to store once the body is complete.
    func entry(key: String, target: String, partition: String, tags: [String], body: [ByteBuffer], savedCost: Int = 0) -> CachedResponse {
        // Every stored entry has a strong validator: the upstream's ETag, else one derived from the body, so that
        // clients told `no-cache` revalidate with a 304 from the store.
        var headers = self.headers
        var info = self.info
        if info.etag == nil {
            let etag = DerivedETag.of(body: body)
            headers.add(name: "etag", value: etag)
            info.etag = etag
        }
        return CachedResponse(
            key: key,
            target: target,
            partition: partition,
            vary: self.vary,
            status: self.status,
            headers: headers,
            body: body,
            info: info,
            tags: tags,
            evictAt: self.evictAt,
            chunked: self.isChunked,
            keepingParts: self.isChunked,
            savedCost: savedCost
        )
    }
}

/// A forwarded response held back until its body is complete, so that its `Cache-Status` can say whether it was
/// stored (and if not, which `store_if_*` condition failed) and its `Reprise-Cost` what the body says it cost.
/// Only for a response that will be stored if the body allows it, and never for an event stream (which streams).
/// Released early, as it is, once its body outgrows `max_object`.
struct HeldResponse {
    let status: HTTPResponseStatus
    /// The head to send, without `Cache-Status` and `Reprise-Cost`.
    var headers: HTTPHeaders
    /// What its `Cache-Status` will say (stored, or why not, once the body is judged).
    var outcome: RequestOutcome
    var parts: [ByteBuffer] = []
    var bytes = 0
}
