import BodyKeying
import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import Observability
import ProxyConfig
import RedisCache
import UpstreamHTTP

extension ProxyHandler {
    /// Sends the request upstream; the response streams back through the `upstream*` callbacks.
    /// `consuming`: the caller's state moves into `current` without a copy of every field.
    func forward(_ state: consuming RequestState, context: ChannelHandlerContext) {
        let head = state.head
        let upstream = state.route.upstream
        var headers = ForwardedHeaders.request(head, peer: self.peer, upstreamHost: upstream.hostField)
        if state.revalidating, let stale = state.stale {
            // RFC 9111 §4.3.1: validate the stored response with its own validators, not the client's.
            for name in RequestTraits.conditionalFields { headers.remove(name: name) }
            for (name, value) in Revalidation.conditionalHeaders(for: stale.info) { headers.add(name: name, value: value) }
        }
        let request = upstream.requestHead(
            method: head.method,
            clientTarget: head.uri,
            clientHeaders: head.headers,
            forwarded: headers
        )
        let exchange = UpstreamExchange(
            handler: self,
            eventLoop: context.eventLoop,
            id: self.makeExchangeID(),
            streamsBody: request.body == .streamed
        )
        if state.forward != .method, state.forward != .bypass, state.plan == nil {
            state.forward = .bypass
        }
        state.exchange = exchange
        state.fetchMark = self.proxy.cache.mark()
        if state.route.rule == nil {
            self.proxy.unmatched.record(method: head.method, path: state.path, upstream: upstream.settings.name)
        }
        self.current = consume state
        self.proxy.counters.misses.wrappingAdd(1, ordering: .relaxed)
        if self.recording { self.record?.upstreamStart = self.proxy.clock.now() }
        // On this event loop: the upstream connection lives here too, so no callback hops threads.
        let call = upstream.client.execute(request.head, body: request.body, on: context.eventLoop, handler: exchange)
        exchange.call = call
        if let streamer = exchange.bodyStreamer {
            streamer.onBackpressure = { [weak self] paused in self?.setReadingPaused(paused) }
            streamer.attach(call)
        }
    }

    // MARK: - Upstream callbacks (on this event loop)

    /// An interim (1xx) response: passed on to the client at once, minus hop-by-hop fields, and never stored
    /// (RFC 9110 §15.2: a proxy forwards 1xx responses, e.g. 103 Early Hints, or 100 Continue to a client that
    /// sent `Expect: 100-continue`). An HTTP/1.0 client gets none, since it cannot tell one from the response.
    func upstreamInformational(_ head: HTTPResponseHead, exchange: UpstreamExchange) {
        guard let state = self.current, state.exchange === exchange, !state.responseStarted, let context = self.context,
            state.head.version.major == 1, state.head.version.minor >= 1
        else { return }
        let interim = HTTPResponseHead(version: state.head.version, status: head.status, headers: ForwardedHeaders.response(head.headers))
        context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(ResponseWire.encodeHead(interim, allocator: self.allocator))), promise: nil)
    }

    /// The upstream's response head. Returns a future when the head must wait (a write's purge is still reaching
    /// the rest of the fleet); the upstream call holds the body until it completes.
    func upstreamHead(_ head: HTTPResponseHead, exchange: UpstreamExchange) -> EventLoopFuture<Void>? {
        // The request's state is read field by field (a copy of the whole `RequestState` is a retain per field).
        guard self.current?.exchange === exchange, self.context != nil else { return nil }
        let status = Int(head.status.code)
        let now = self.proxy.clock.now()
        let request = self.current!.head
        let route = self.current!.route
        let method = request.method
        if self.recording {
            self.record?.status = status
            let upstreamStart = self.record?.upstreamStart
            self.record?.upstreamSeconds = upstreamStart.map { max(0, now - $0) }
            let forward = self.current!.forward
            self.record?.outcome = RequestOutcome(Self.forwardPhase(forward), reason: self.current!.reason, forward: forward)
        }

        // Write-invalidate: drop what this write made stale before the client can see the response. A POST on a
        // body-keyed route (`cache_body`) is a cacheable read, not a write: it invalidates nothing.
        if !ForwardedHeaders.isSafe(method), route.rule?.cacheBody != true, (200..<400).contains(status) {
            let outcome = self.current!.table.purges.invalidate(
                method: method.rawValue,
                path: self.current!.path,
                target: route.credentialShape.target(of: request.uri),
                request: request,
                responseHeaders: ForwardedHeaders.response(head.headers),
                status: status,
                upstream: route.upstream,
                hasher: self.proxy.hasher,
                now: self.current!.requestTime,
                purge: { self.proxy.purge($0, scope: .local).dropped }
            )
            self.proxy.counters.invalidations.wrappingAdd(outcome.dropped, ordering: .relaxed)
            self.recordPurges(outcome)
            let shared = outcome.fleet.isEmpty ? [] : self.proxy.purge(outcome.fleet, scope: .shared).pending
            if !shared.isEmpty {
                // Fleet mode: L2 and every other instance drop it too before this client sees the response.
                let reports = EventLoopFuture.whenAllComplete(shared.map(\.report), on: exchange.eventLoop)
                return reports.map { results in
                    for case .success(let report) in results where report.dropped > 0 || report.detailJSON != nil {
                        self.proxy.logger.debug(
                            "fleet purge",
                            metadata: ["l2_dropped": "\(report.dropped)", "publish": "\(report.detailJSON ?? "")"]
                        )
                    }
                    self.upstreamHeadAfterPurge(head, exchange: exchange, now: now)
                }
            }
        }
        self.upstreamHeadAfterPurge(head, exchange: exchange, now: now)
        return nil
    }

    /// The rest of the response head: stale handling, the storage decision, and the head to the client.
    private func upstreamHeadAfterPurge(_ head: HTTPResponseHead, exchange: UpstreamExchange, now: Double) {
        guard var state = self.current, state.exchange === exchange, let context = self.context else { return }
        let status = Int(head.status.code)
        var headers = ForwardedHeaders.response(head.headers)
        let method = state.head.method

        if let stale = state.stale, let plan = state.plan {
            if state.revalidating, status == 304 {
                // RFC 9111 §4.3.4: a matching 304 freshens the stored response, which then answers the client.
                if Revalidation.notModifiedMatches(stored: stale.info, notModifiedHeaders: headers),
                    let refreshed = StoragePlanner.refreshed(stale, notModified: headers, requestTime: state.requestTime, now: now, plan: plan)
                {
                    let traits = EntryCost.traits(of: refreshed, fetchSeconds: now - state.requestTime)
                    self.proxy.cache.commit(refreshed, traits: traits, mark: state.fetchMark ?? self.proxy.cache.mark(), now: now)
                    // The 304 has no body; its end is ignored (this exchange is no longer the current one).
                    let outcome = RequestOutcome(
                        .revalidated, forward: .stale, forwardStatus: 304, stored: true,
                        ttl: refreshed.info.freshness.ttlSeconds(now: now)
                    )
                    return self.serveFromCache(refreshed, state: &state, now: now, context: context, outcome: outcome)
                }
                self.proxy.purge([Purge(.target(plan.target), partition: plan.partition)], scope: .local)
            } else if status >= 500, self.canServeStale(stale, state: state, now: now) {
                // RFC 5861 §4: the upstream failed; a stale response is better than its error. The error body is
                // read and dropped, so the upstream connection stays reusable.
                state.fetch?.publishFailure()
                state.lease?.release(.failed)
                return self.serveStaleOnError(stale, state: state, now: now, upstreamStatus: status, context: context)
            }
        }

        var outcome = RequestOutcome(
            Self.forwardPhase(state.forward), reason: state.reason, forward: state.forward, forwardStatus: status
        )
        if let plan = state.plan, method == .GET || state.bodyKeyed {
            if !state.revalidating && (state.traits.hasRange || state.traits.hasConditional && status != 200) {
                // The client's own range or conditional went upstream: its answer (206, 304, 412) is not a complete
                // response. A 200 is: stored, so that clients that revalidate (no-cache) are answered from memory again
                // after a write dropped the entry.
                outcome.reason = .proxy(.conditionalRequest)
            } else {
                switch StoragePlanner.decide(
                    method: method.rawValue,
                    requestHeaders: state.head.headers,
                    requestTime: state.requestTime,
                    plan: plan,
                    status: status,
                    headers: headers,
                    now: now,
                    maxObject: self.proxy.cache.maxObject
                ) {
                case .store where state.refreshMayNotStore:
                    // client_refresh = "own": this client's refresh is its own; the shared entry stays as it was.
                    outcome.reason = .proxy(.refreshOwn)
                case .store(let pending):
                    let conditions = state.route.rule?.storeIf ?? StoreConditions()
                    if let reason = GenerationJudge.headVerdict(conditions, headers: headers) {
                        // store_if_content_type, store_if_min_size: the head already rules the response out.
                        outcome.reason = reason
                    } else {
                        state.pending = pending
                        // With a body condition the body decides at the end; the head promises nothing yet (a held
                        // head is completed then, see `releaseHeld`).
                        if !conditions.needsBody {
                            outcome.stored = true
                            outcome.ttl = pending.info.freshness.ttlSeconds(now: now)
                        }
                    }
                case .skip(let reason):
                    outcome.reason = reason
                }
            }
        }

        if let plan = state.plan, method == .GET || method == .HEAD || state.bodyKeyed {
            headers.replaceOrAdd(name: ClientControls.keyField, value: plan.keyID)
        }
        self.publishHead(state, status: status, headers: headers, now: now)
        (headers, state.decoder) = Self.decoding(headers, for: state.head)
        for name in CachedResponse.fieldsKeptFromClients { headers.remove(name: name) }
        headers.add(name: "via", value: ForwardedHeaders.via(head.version))
        if let clientCacheControl = state.route.rule?.clientCacheControl {
            headers.replaceOrAdd(name: "cache-control", value: clientCacheControl)
        }
        let cost = state.route.rule?.cost
        if let cost, cost.isConfigured { state.headUnits = GenerationJudge.headCost(cost, headers: head.headers) }
        if state.pending != nil, let rule = state.route.rule, rule.storeIf.needsBody || rule.cost.needsBody,
            !GenerationJudge.isEventStream(headers), method != .HEAD
        {
            // The body decides what the head says: it is sent once the body is complete (`releaseHeld`).
            state.held = HeldResponse(status: head.status, headers: headers, outcome: outcome)
            self.current = state
            return
        }
        headers.add(name: "cache-status", value: outcome.headerValue)
        if let cost, cost.isConfigured {
            headers.replaceOrAdd(name: RepriseCost.field, value: RepriseCost.value(outcome.phase, units: state.headUnits, price: cost.price))
        }
        if self.recording { self.record?.outcome = outcome }
        state.responseStarted = true
        self.current = state
        self.writeHead(HTTPResponseHead(version: state.head.version, status: head.status, headers: headers), requestMethod: method)
        // Flushed at the end of this tick, with the body parts that came in the same read, or alone when none did:
        // a client waits no longer for the head than the upstream made it wait.
        self.scheduleFlush(context: context)
    }

    func upstreamBody(_ buffer: ByteBuffer, exchange: UpstreamExchange) -> EventLoopFuture<Void>? {
        guard let context = self.context, self.current?.exchange === exchange else {
            if self.detached[exchange.id] != nil {
                self.detached[exchange.id]!.pending?.collector.append(buffer)
                self.detached[exchange.id]!.fetch?.publishBody(buffer)
            }
            return nil
        }
        if self.current?.pending != nil {
            self.current!.pending!.collector.append(buffer)
            if let lease = self.current?.lease, self.current!.pending!.collector.byteCount > (self.proxy.fleet?.l2.maxObject ?? 0) {
                // Fleet mode: past `[redis] max_object` L2 will not have it; the waiters elsewhere fetch themselves.
                lease.release(.pass)
            }
        }
        self.current?.fetch?.publishBody(buffer)
        if self.current?.held != nil {
            self.current!.held!.parts.append(buffer)
            self.current!.held!.bytes += buffer.readableBytes
            guard self.current!.held!.bytes > self.proxy.cache.maxObject else {
                return nil
            }
            // Too large to store: the head goes out as it is, and the rest streams.
            self.current!.pending = nil
            self.current!.held!.outcome.reason = .proxy(.tooLarge)
            self.releaseHeld(units: self.current!.headUnits)
            return nil
        }
        // Flushed once per event-loop tick, not per part: the response end that often arrives in the same read is
        // handled (and the entry stored) before the client can see the last byte and ask again.
        self.writeClientBody(buffer, decoder: self.current?.decoder, flush: false)
        self.scheduleFlush(context: context)
        // Backpressure only when the client is slow: the upstream is read as fast as the client takes it. Then the
        // next part waits until what was written so far reached the socket.
        guard !context.channel.isWritable, let written = self.writesCompleted() else { return nil }
        // send_timeout runs until this write reaches the socket, even once the channel counts as writable again.
        self.machine.writeWaitStarted(now: self.loopNow)
        self.armTimer()
        written.whenComplete { [weak self] _ in
            guard let self else { return }
            self.machine.writeWaitEnded(now: self.loopNow)
        }
        return written
    }

    func upstreamEnd(exchange: UpstreamExchange) {
        if self.finishDetached(exchange: exchange) { return }
        guard let state = self.current, state.exchange === exchange, self.context != nil else { return }
        let verdict = self.commit(state)
        self.recordBilled(state, units: verdict.units)
        self.current?.pending = nil
        state.fetch?.publishEnd()
        if self.current?.held != nil {
            if let reason = verdict.reason {
                self.current!.held!.outcome.reason = reason
            } else if verdict.stored, let pending = state.pending {
                self.current!.held!.outcome.stored = true
                self.current!.held!.outcome.ttl = pending.info.freshness.ttlSeconds(now: self.proxy.clock.now())
            }
            self.releaseHeld(units: verdict.units)
        } else if let reason = verdict.reason, self.recording {
            // An event stream: its head went out before the body could be judged; the log line says why.
            self.record?.outcome.reason = reason
        }
        self.writeEnd()
    }

    /// Sends a held response's head (with its final `Cache-Status` and `Reprise-Cost`) and the body so far.
    func releaseHeld(units: Int?) {
        guard var state = self.current, let held = state.held else { return }
        var headers = held.headers
        headers.add(name: "cache-status", value: held.outcome.headerValue)
        if let cost = state.route.rule?.cost, cost.isConfigured {
            headers.replaceOrAdd(name: RepriseCost.field, value: RepriseCost.value(held.outcome.phase, units: units, price: cost.price))
        }
        if self.recording { self.record?.outcome = held.outcome }
        state.held = nil
        state.responseStarted = true
        self.current = state
        self.writeHead(HTTPResponseHead(version: state.head.version, status: held.status, headers: headers), requestMethod: state.head.method)
        for part in held.parts { self.writeClientBody(part, decoder: state.decoder, flush: false) }
        if let context = self.context { self.scheduleFlush(context: context) }
    }

    /// What `commit` found: whether the response was stored, why not when a `store_if_*` condition refused it,
    /// and the call's cost in units (from the head or the body).
    struct Verdict {
        var stored = false
        var reason: OutcomeReason?
        var units: Int?
    }

    /// Judges a response whose upstream finished cleanly and stores it when it is storable and its conditions hold.
    @discardableResult
    func commit(_ state: RequestState) -> Verdict {
        var verdict = Verdict(units: state.headUnits)
        guard let pending = state.pending, let plan = state.plan, let body = pending.collector.finish()
        else {
            // Fleet mode: L2 will not have it; the instances waiting for this fetch go upstream themselves.
            state.lease?.release(.pass)
            return verdict
        }
        let rule = state.route.rule
        (verdict.reason, verdict.units) = GenerationJudge.judge(rule, headers: pending.headers, body: body, headUnits: state.headUnits)
        if verdict.reason != nil {
            // Hit-for-pass: the next requests for this key go upstream alone, as after any unstorable response.
            self.proxy.coalescer.markUncacheable(key: plan.key, now: self.proxy.clock.now())
            state.lease?.release(.pass)
            return verdict
        }
        let units = verdict.units ?? 0
        let entry = pending.entry(
            key: plan.key,
            target: plan.target,
            partition: plan.partition,
            tags: rule?.tags ?? [],
            body: body,
            savedCost: units
        )
        guard let mark = state.fetchMark else {
            state.lease?.release(.pass)
            return verdict
        }
        let now = self.proxy.clock.now()
        let traits = EntryCost.traits(units: units, fetchSeconds: now - state.requestTime)
        let lease = state.lease
        if self.proxy.cache.commit(entry, traits: traits, mark: mark, now: now, sharedStored: { lease?.release($0 ? .stored : .pass) }) {
            self.proxy.counters.stored.wrappingAdd(1, ordering: .relaxed)
            verdict.stored = true
        }
        return verdict
    }

    func upstreamFailed(_ error: UpstreamError, exchange: UpstreamExchange) {
        let kind = UpstreamErrorKind(error)
        if let detached = self.detached.removeValue(forKey: exchange.id) {
            self.countUpstreamError(kind, upstream: detached.route.upstream.settings.name)
            detached.fetch?.publishFailure(kind)
            detached.lease?.release(.failed)
            exchange.owner = nil
            return
        }
        guard let state = self.current, state.exchange === exchange, let context = self.context else { return }
        let name = state.route.upstream.settings.name
        self.countUpstreamError(kind, upstream: name)
        self.current?.pending = nil
        state.fetch?.publishFailure(kind)
        // Fleet mode: one of the instances waiting for this fetch takes the claim over.
        state.lease?.release(.failed)
        // The detail is bounded and holds no response bytes (`UpstreamError`).
        self.proxy.logger.warning(
            "upstream request failed",
            metadata: ["upstream": "\(name)", "error": "\(kind)", "detail": "\(error.detail)"]
        )
        guard !state.responseStarted else {
            // The head is out: the only honest signal left is to cut the connection (the body is incomplete).
            self.abortConnection(reason: .proxy(.upstreamError))
            return
        }
        self.answerUpstreamFailure(kind, state: state, context: context, collapsed: false)
    }

    /// Answers a request whose upstream fetch failed before any head went out: with a stale entry when
    /// stale-if-error allows it, else with the 502/504 error body. `collapsed`: the fetch was another request's.
    func answerUpstreamFailure(_ kind: UpstreamErrorKind, state: RequestState, context: ChannelHandlerContext, collapsed: Bool) {
        let now = self.proxy.clock.now()
        if let stale = state.stale, self.canServeStale(stale, state: state, now: now) {
            return self.serveStaleOnError(stale, state: state, now: now, upstreamStatus: nil, context: context)
        }
        self.respondError(
            kind.response(upstream: state.route.upstream.settings.name),
            version: state.head.version,
            outcome: RequestOutcome(.error, reason: .proxy(.upstreamError), forward: state.forward, collapsed: collapsed)
        )
    }

    func countUpstreamError(_ kind: UpstreamErrorKind, upstream: String) {
        self.proxy.counters.countUpstreamError(kind, upstream: upstream, metrics: self.proxy.metrics)
    }

    // MARK: - stale-if-error

    private func canServeStale(_ stale: CachedResponse, state: RequestState, now: Double) -> Bool {
        Reuse.canServeStaleOnError(
            requestHeaders: state.head.headers,
            stored: stale.info,
            now: now,
            defaults: state.plan?.staleDefaults ?? .none
        )
    }

    private func serveStaleOnError(
        _ stale: CachedResponse,
        state: RequestState,
        now: Double,
        upstreamStatus: Int?,
        context: ChannelHandlerContext
    ) {
        let outcome = RequestOutcome(
            .stale,
            reason: .proxy(.staleIfError),
            forward: .stale,
            forwardStatus: upstreamStatus,
            ttl: stale.info.freshness.ttlSeconds(now: now)
        )
        var state = state
        self.serveFromCache(stale, state: &state, now: now, context: context, outcome: outcome)
    }

    // MARK: - Purge accounting

    /// Counts a write-invalidate in the metrics and the dashboard's purge history.
    func recordPurges(_ outcome: PurgeEngine.Outcome) {
        let metrics = self.proxy.metrics
        let now = self.proxy.clock.now()
        if outcome.droppedByRFC > 0 {
            metrics?.recordPurge(rule: "", source: "rfc9111", dropped: outcome.droppedByRFC)
            self.proxy.purgeLog.record(cause: "RFC 9111 §4.4 invalidation", dropped: outcome.droppedByRFC, now: now)
        }
        for (name, dropped) in outcome.rules {
            metrics?.recordPurge(rule: name, source: "write", dropped: dropped)
            if dropped > 0 { self.proxy.purgeLog.record(cause: "purge rule " + name, dropped: dropped, now: now) }
        }
    }
}
