import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import Observability
import ProxyConfig

/// A GET or HEAD's key and what the store held for it, as `serveFreshHit` found them: the full lookup goes on from
/// there instead of computing the key and looking it up again.
struct StoreProbe {
    let key: RequestKey
    let primaryKey: String
    let found: StoreLookup
}

extension ProxyHandler {
    /// What `serveFreshHit` did.
    enum FastHit {
        /// The response is written.
        case answered
        /// The store was consulted, but the full lookup has to decide.
        case probed(StoreProbe)
        /// The route or the request's own directives need the full lookup from the start.
        case skipped
    }

    /// Looks a GET or HEAD up in the store (or goes on from `probe`) and answers it when a stored response may be
    /// used. Returns true when the request was answered.
    func lookup(_ state: inout RequestState, context: ChannelHandlerContext, probe: StoreProbe? = nil) -> Bool {
        guard state.route.rule?.cache != false else {
            state.forward = .bypass
            state.reason = .proxy(.rule)
            return false
        }
        let requestDirectives = state.traits.hasDirectives ? CacheControl(headers: state.head.headers) : CacheControl()
        // RFC 9111 §5.2.1.5: no-store in the request: neither use nor store a response.
        if requestDirectives.noStore {
            state.forward = .bypass
            state.reason = .notStorable(.requestNoStore)
            return false
        }
        let key = probe?.key ?? self.requestKey(state.route, state.head, traits: state.traits, now: state.requestTime)
        if let rejection = key.rejection {
            // A JWT that fails verification names no partition: forwarded untouched, never answered from or stored.
            state.forward = .bypass
            state.reason = .credential(rejection)
            return false
        }
        let primaryKey = probe?.primaryKey ?? Self.primaryKey(key, namespace: state.controls?.namespace)
        state.plan = self.makePlan(state, key: key, primaryKey: primaryKey)
        return self.consult(&state, directives: requestDirectives, context: context, found: probe?.found)
    }

    /// "GET <target> <partition> <authority>"; " ns=<namespace>" follows for
    /// `Reprise-Cache-Namespace`.
    static func primaryKey(_ key: RequestKey, namespace: String? = nil) -> String {
        // The layout is `writePrimaryKey`'s: the fresh-hit path looks memory up by those bytes.
        var bytes: [UInt8] = []
        Self.writePrimaryKey(key, into: &bytes)
        if let namespace { bytes.append(contentsOf: ClientControls.keySuffix(namespace: namespace).utf8) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `primaryKey(key)`'s bytes, written over `bytes` (whose capacity is kept from one request to the next).
    /// "GET <target> <partition> <authority>".
    static func writePrimaryKey(_ key: RequestKey, into bytes: inout [UInt8]) {
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(6 + key.target.utf8.count + key.partition.utf8.count + key.authority.utf8.count)
        bytes.append(contentsOf: "GET ".utf8)
        bytes.append(contentsOf: key.target.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: key.partition.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: key.authority.utf8)
    }

    /// The request's key parts: target, credential partition (with this connection's memo) and authority.
    func requestKey(_ route: Route, _ head: HTTPRequestHead, traits: RequestTraits, now: Double) -> RequestKey {
        RequestKey(
            route: route,
            head: head,
            authority: self.authority(host: traits.host, headers: head.headers),
            hasher: self.proxy.hasher,
            now: now,
            memo: &self.partitionMemo
        )
    }

    /// `ClientPeer.authority`, remembered for the connection's last `Host`: a client sends the same one on every
    /// request, and comparing it costs less than folding it again.
    private func authority(host: String?, headers: HTTPHeaders) -> String {
        guard !self.peer.trusted, let host else { return self.peer.authority(host: host, headers: headers) }
        if let memo = self.authorityMemo, memo.host == host { return memo.authority }
        let authority = self.peer.authority(host: host, headers: headers)
        self.authorityMemo = (host, authority)
        return authority
    }

    func makePlan(_ state: RequestState, key: RequestKey, primaryKey: String, bodyKeyed: Bool = false) -> StorePlan {
        let rule = state.route.rule
        var policy = state.table.storagePolicy(for: rule)
        policy.bodyKeyed = bodyKeyed
        if let rule, let ttl = state.controls?.storedTTL(cap: rule.effectiveClientTTLMax.seconds) {
            // Reprise-Cache-TTL: the freshness of the entry stored from this response.
            policy.ruleTTL = ttl
            policy.ttlOverride = true
        }
        return StorePlan(
            key: primaryKey,
            keyName: KeyName(key: primaryKey, hasher: self.proxy.hasher),
            partition: key.partition,
            target: key.target,
            policy: policy,
            staleDefaults: state.table.staleDefaults(for: rule),
            storabilityHeaders: key.headersForStorability(state.head.headers)
        )
    }

    /// Looks `state.plan` up (unless `found` is what the store already said): answers from the store when a stored
    /// response may be used (true), or records why the request must go upstream (false).
    func consult(
        _ state: inout RequestState,
        directives: CacheControl,
        context: ChannelHandlerContext,
        found: StoreLookup? = nil
    ) -> Bool {
        guard let plan = state.plan else { return false }
        let head = state.head
        let now = state.requestTime
        switch found ?? self.proxy.cache.lookup(key: plan.key, path: state.path, now: now, matching: { $0.matches(head.headers) }) {
        case .hit(let entry):
            if self.useStored(entry, &state, plan: plan, directives: directives, context: context) { return true }
        case .varyMiss:
            state.forward = .varyMiss
        case .miss:
            state.forward = .uriMiss
        }

        // RFC 9111 §5.2.1.7: only-if-cached and nothing usable → 504.
        if directives.onlyIfCached {
            self.respondError(
                ErrorResponse(status: .gatewayTimeout, message: "only-if-cached: no stored response can be used"),
                version: head.version,
                outcome: RequestOutcome(.error, reason: .proxy(.onlyIfCached), forward: state.forward)
            )
            return true
        }
        return false
    }

    /// Answers from `entry` when it may be used as it is (true); otherwise records that it must be revalidated.
    func useStored(
        _ entry: CachedResponse,
        _ state: inout RequestState,
        plan: StorePlan,
        directives: CacheControl,
        context: ChannelHandlerContext
    ) -> Bool {
        let head = state.head
        let now = state.requestTime
        if let coding = entry.contentCoding, !ContentCoding.accepts(head.headers, coding: coding),
            (!ContentCoding.isDecodable(coding) || !entry.isInMemory), !ContentCoding.passesUndecoded(head.headers, coding: coding)
        {
            // A coding the client does not accept and Reprise cannot remove (br, zstd), or a body left in its file on
            // disk (decoded only from memory): ask the upstream again.
            state.forward = .varyMiss
            return false
        }
        var decision =
            state.traits.hasDirectives || !Self.usableAsIs(entry, now: now)
            ? Reuse.decide(requestHeaders: head.headers, stored: entry.info, now: now, defaults: plan.staleDefaults)
            : .fresh
        var refreshIgnored = false
        if case .revalidate(let reason) = decision, reason.isRequestDriven || directives.noCache {
            switch self.clientRefresh(entry, state: &state, plan: plan, now: now) {
            case .none: break
            case .some(let withoutClient):
                decision = withoutClient
                refreshIgnored = true
            }
        }
        switch decision {
        case .fresh:
            let outcome = refreshIgnored ? self.hitOutcome(entry, now: now, reason: .refreshIgnored) : nil
            self.serveFromCache(entry, state: &state, now: now, context: context, outcome: outcome)
            return true
        case .staleAllowed(let reason):
            if reason == .staleWhileRevalidate, head.method == .GET || head.method == .HEAD {
                // RFC 5861 §3: answer now, refresh once in the background.
                self.proxy.refresher.refresh(entry, plan: plan, state: state, on: context.eventLoop)
                let outcome = RequestOutcome(
                    .staleUpdating, reason: .proxy(.staleWhileRevalidate), forward: .stale, ttl: entry.freshness.ttlSeconds(now: now)
                )
                self.serveFromCache(entry, state: &state, now: now, context: context, outcome: outcome)
            } else {
                let outcome = refreshIgnored ? self.hitOutcome(entry, now: now, reason: .refreshIgnored) : nil
                self.serveFromCache(entry, state: &state, now: now, context: context, outcome: outcome)
            }
            return true
        case .revalidate(let reason):
            state.forward = directives.noCache || reason.isRequestDriven ? .request : .stale
            state.stale = entry
            state.revalidating = entry.hasValidator && entry.status == 200 && head.method != .POST
                && head.method != .PUT
        }
        return false
    }

    /// A request's own directives (`no-cache`, `max-age`, `min-fresh`, `Pragma: no-cache`) ruled out `entry`. If the
    /// entry would otherwise have been used, this is a client-forced refresh, and `client_refresh` decides
    /// (issue 12): `ignore` returns the decision without the client's directives (answer from the cache); `own`
    /// lets it replace only an entry of the client's own credential partition (else the response is served to this
    /// client only, `refreshMayNotStore`); `shared` changes nothing. Returns nil when the client's decision stands.
    private func clientRefresh(
        _ entry: CachedResponse,
        state: inout RequestState,
        plan: StorePlan,
        now: Double
    ) -> ReuseDecision? {
        let mode = state.table.clientRefresh(for: state.route.rule)
        guard mode != .shared else { return nil }
        let withoutClient = Reuse.decide(requestHeaders: HTTPHeaders(), stored: entry.info, now: now, defaults: plan.staleDefaults)
        if case .revalidate = withoutClient { return nil }  // the entry needs revalidating anyway: not client-forced
        switch mode {
        case .ignore:
            return withoutClient
        case .own:
            // An entry without a credential partition is every client's: one client may not choose its content.
            if plan.partition == CredentialHasher.anonymous { state.refreshMayNotStore = true }
            return nil
        case .shared:
            return nil
        }
    }

    /// A hit's `Cache-Status` with a detail (`Cache-Status` has room for one: the reason the client's directives were
    /// set aside says more than the tier that answered, which `/stats` counts).
    private func hitOutcome(_ entry: CachedResponse, now: Double, reason: CacheDetail) -> RequestOutcome {
        RequestOutcome(.hit, reason: .proxy(reason), ttl: entry.freshness.ttlSeconds(now: now))
    }

    /// Answers from a stored response: client conditionals (RFC 9110 §13) and ranges (RFC 9110 §14) first, else
    /// one buffer for the head (the stored header block is copied, not re-encoded) and the stored body buffers
    /// themselves, shared with the store.
    func serveFromCache(
        _ entry: CachedResponse,
        state: inout RequestState,
        now: Double,
        context: ChannelHandlerContext,
        outcome explicitOutcome: RequestOutcome? = nil
    ) {
        // A nil outcome is a plain hit (from memory or the tier in `fromTier`): its `Cache-Status` is written as bytes
        // below; the other answers need it as a string.
        let fromTier = state.fromTier
        let outcome = explicitOutcome ?? Self.plainHit(entry, fromTier: fromTier, now: now)
        if self.recording {
            self.record?.outcome = outcome
            self.record?.status = entry.status
        }
        if state.traits.hasConditional {
            let info = entry.info
            switch Conditional.evaluate(
                method: state.head.method.rawValue,
                requestHeaders: state.head.headers,
                etag: info.etag,
                lastModified: info.lastModified,
                status: entry.status
            ) {
            case .notModified:
                return self.serveNotModified(entry, state: state, now: now, outcome: outcome)
            case .preconditionFailed:
                return self.servePreconditionFailed(state: state, outcome: outcome)
            case .proceed:
                break
            }
        }
        if let coding = entry.contentCoding, !ContentCoding.accepts(state.head.headers, coding: coding),
            ContentCoding.isDecodable(coding)
        {
            // Never a coding the client did not accept: decoded on the way out (ranges of it are not served). A coding
            // Reprise cannot decode comes here only for a request without Accept-Encoding (`passesUndecoded`).
            return self.writeDecoded(entry, state: state, now: now, outcome: outcome)
        }
        if state.traits.hasRange, state.head.method == .GET, entry.status == 200,
            let ranges = ByteRangeRequest(requestHeaders: state.head.headers),
            ContentRange.ifRangeAllowsRange(
                requestHeaders: state.head.headers,
                etag: entry.etag,
                lastModified: entry.info.lastModified
            )
        {
            switch ranges.resolve(length: entry.bodyLength) {
            case .full:
                break
            case .unsatisfiable:
                return self.serveUnsatisfiableRange(entry, state: state, now: now, outcome: outcome)
            case .ranges(let list):
                return self.serveRanges(list, of: entry, state: state, now: now, outcome: outcome)
            }
        }

        self.writeStored(
            entry,
            request: state.head,
            rule: state.route.rule,
            fromTier: fromTier,
            now: now,
            context: context,
            outcome: explicitOutcome
        )
    }

    /// A stored response that needs no decision (RFC 9111 §4.2, §5.2.2.4): fresh, and not `no-cache`. With no
    /// request directives either, it is served as it is.
    static func usableAsIs(_ entry: CachedResponse, now: Double) -> Bool {
        !entry.directives.noCache && entry.freshness.isFresh(now: now)
    }

    /// The common hit, answered before any `RequestState` or `StorePlan` exists: a GET or HEAD without
    /// `Cache-Control`, `Pragma`, conditional or range fields whose stored response may be used as it is.
    /// Otherwise it changes nothing but hands the key and what the store held to the full lookup.
    func serveFreshHit(
        _ request: HTTPRequestHead,
        route: Route,
        traits: RequestTraits,
        path: String,
        now: Double,
        context: ChannelHandlerContext
    ) -> FastHit {
        // A rule that does not cache, or request directives (no-store among them), are the full lookup's to read.
        guard route.rule?.cache != false, !traits.hasDirectives else { return .skipped }
        let key = self.requestKey(route, request, traits: traits, now: now)
        // A rejected JWT: the full lookup records why and forwards (the probe's key and store answer go unused).
        if key.rejection != nil { return .probed(StoreProbe(key: key, primaryKey: "", found: .miss)) }
        // The key is built in this connection's buffer: a hit never makes a string of it.
        Self.writePrimaryKey(key, into: &self.keyScratch)
        let found = self.keyScratch.withUnsafeBytes { bytes in
            self.proxy.cache.lookup(keyBytes: bytes, path: path, now: now) { $0.matches(request.headers) }
        }
        guard case .hit(let entry) = found, !traits.hasConditional, !traits.hasRange, Self.usableAsIs(entry, now: now),
            entry.contentCoding.map({ ContentCoding.accepts(request.headers, coding: $0) }) ?? true
        else {
            let primaryKey = String(decoding: self.keyScratch, as: UTF8.self)
            return .probed(StoreProbe(key: key, primaryKey: primaryKey, found: found))
        }
        if self.recording {
            self.record?.outcome = RequestOutcome(.hit)
            self.record?.status = entry.status
        }
        self.writeStored(entry, request: request, rule: route.rule, fromTier: nil, now: now, context: context)
        return .answered
    }

    /// The largest stored body written in the same buffer as its head (see `writeStored`).
    static let inlineBodyLimit = 4096

    /// Writes a stored response as it is: one buffer for the head (the header block encoded at store time, then
    /// `Cache-Control`, `Age` and `Cache-Status`) and the stored body itself (its buffer, or its file with
    /// `sendfile`), then ends the response. The rule decides what the entry does not: the fields kept out of hits,
    /// the `Cache-Control` clients see, and the savings counted.
    func writeStored(
        _ entry: CachedResponse,
        request: HTTPRequestHead,
        rule: RuleSettings?,
        fromTier: CacheDetail?,
        now: Double,
        context: ChannelHandlerContext,
        outcome: RequestOutcome? = nil
    ) {
        let isHead = request.method == .HEAD
        // A small body in one buffer in memory is copied behind the head: the response goes through the pipeline as
        // one write, not two. Copying up to 4 KiB costs less than a write (measured: a 1 KiB hit 5% less CPU).
        // A streamed (chunked) response is replayed with the same framing and chunk boundaries; to an HTTP/1.0
        // client, and when the upstream gave a length, with `Content-Length` (stored bodies are complete).
        let replayChunked = entry.chunked && !isHead && request.version == .http1_1 && entry.isInMemory
        var inlineBody: ByteBuffer?
        if !isHead, !replayChunked, let body = entry.singleBody, body.readableBytes <= Self.inlineBodyLimit {
            inlineBody = body
        }
        var head = self.allocator.buffer(capacity: entry.wireHeaders.readableBytes + 192 + (inlineBody?.readableBytes ?? 0))
        if request.version == .http1_1 {
            head.writeImmutableBuffer(StatusLine.http11(entry.status))
        } else {
            ResponseWire.writeStatusLine(HTTPResponseStatus(statusCode: entry.status), version: request.version, into: &head)
        }
        let dropped = rule?.hitDropHeaders ?? []
        let clientCacheControl = rule?.clientCacheControl
        if dropped.isEmpty, clientCacheControl == nil {
            // The common case: the stored fields and their `Cache-Control` lines in one copy.
            head.writeImmutableBuffer(entry.wireHeadersWithCacheControl)
        } else {
            entry.writeWireHeaders(dropping: dropped, into: &head)
            if let clientCacheControl {
                ResponseWire.writeField("cache-control", clientCacheControl, into: &head)
            } else {
                for value in entry.cacheControl { ResponseWire.writeField("cache-control", value, into: &head) }
            }
        }
        self.writeCacheFields(entry, fromTier: fromTier, now: now, outcome: outcome, into: &head)
        if let cost = rule?.cost, cost.isConfigured {
            // A hit: the generation was paid for once, when it was stored; this call saved it.
            let phase = outcome?.phase ?? .hit
            let value = RepriseCost.value(phase, units: entry.savedCost, price: cost.price)
            ResponseWire.writeField(RepriseCost.field, value, into: &head)
            self.recordSaved(cost, phase: phase, partition: entry.partition, units: entry.savedCost)
        }
        if replayChunked {
            head.writeStaticString("transfer-encoding: chunked\r\n")
        } else if entry.chunked && !isHead {
            head.writeString("content-length: \(entry.bodyLength)\r\n")
        }
        if !self.keepAlive { head.writeStaticString("connection: close\r\n") }
        head.writeStaticString("\r\n")
        if var body = inlineBody { head.writeBuffer(&body) }

        self.current = nil
        self.framing = replayChunked ? .chunked : .none
        // A body sent from its file: the head waits in the socket (TCP_CORK) to leave in full segments with the
        // body's start, rather than alone in a small one the client must wake up for.
        let corked = !isHead && entry.file != nil && self.setCork(true, context: context)
        context.write(self.wrapOutboundOut(.byteBuffer(head)), promise: nil)
        if replayChunked {
            for buffer in entry.body { self.writeBody(buffer, flush: false) }
        } else if !isHead, inlineBody == nil {
            if let body = entry.singleBody {
                context.write(self.wrapOutboundOut(.byteBuffer(body)), promise: nil)
            } else if let file = entry.file {
                self.writeFile(file, from: 0, count: file.length, context: context)
            } else {
                for buffer in entry.body {
                    context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
                }
            }
        }
        if !isHead {
            self.proxy.counters.bytesFromCache.wrappingAdd(entry.bodyLength, ordering: .relaxed)
            self.record?.bytes = entry.bodyLength
        }
        self.proxy.counters.hits.wrappingAdd(1, ordering: .relaxed)
        if let rule {
            self.proxy.tally.recordHit(rule: rule.name, bytes: isHead ? 0 : entry.bodyLength, cost: entry.savedCost)
        }
        self.writeEnd()
        if corked { _ = self.setCork(false, context: context) }
    }

    /// Sets or clears `TCP_CORK` on the client's socket (Linux); returns whether it was set.
    func setCork(_ on: Bool, context: ChannelHandlerContext) -> Bool {
        #if os(Linux)
        guard context.channel.isActive, let options = context.channel.syncOptions else { return false }
        // TCP_CORK is 3 on Linux.
        let option = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: 3))
        return (try? options.setOption(option, value: on ? 1 : 0)) != nil
        #else
        return false
        #endif
    }

    /// Writes `count` bytes of a stored body's file from `offset` (relative to the body) with `sendfile`: no copy
    /// through user space. The file stays open until the write is done (the region holds the entry's `FileBody`).
    func writeFile(_ file: FileBody, from offset: Int, count: Int, context: ChannelHandlerContext) {
        guard count > 0 else { return }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: file.descriptor)
        let region = FileRegion(fileHandle: handle, readerIndex: file.offset + offset, endIndex: file.offset + offset + count)
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in
            // The descriptor is the entry's (`FileBody` closes it): the handle only lends it to the write.
            _ = try? handle.takeDescriptorOwnership()
            withExtendedLifetime(file) {}
        }
        context.write(self.wrapOutboundOut(.fileRegion(region)), promise: promise)
    }
}

extension RevalidateReason {
    /// Whether the client's own directives (not the stored response's staleness) forced the trip upstream.
    var isRequestDriven: Bool {
        self.rawValue.hasPrefix("request")
    }
}
