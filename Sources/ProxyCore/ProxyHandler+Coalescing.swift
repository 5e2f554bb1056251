import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import Observability
import ProxyConfig
import RedisCache

/// Request coalescing: concurrent misses on one key make one upstream request; the followers are answered
/// from the leader's response as it streams.
extension ProxyHandler {
    /// Joins or starts the fetch for this request's key. Returns true when this request follows another one
    /// (it is answered by `followerEvent`); false when it must go upstream itself (as leader or alone).
    func coalesce(_ state: inout RequestState, context: ChannelHandlerContext) -> Bool {
        guard let plan = state.plan, state.head.method == .GET || state.bodyKeyed, !state.revalidating,
            !state.traits.hasConditional, !state.traits.hasRange, !state.refreshMayNotStore
        else { return false }
        let probe = PurgeProbe(
            partition: plan.partition,
            target: plan.target,
            path: state.path,
            tags: state.route.rule?.tags ?? [],
            keyID: plan.keyID
        )
        switch self.proxy.coalescer.join(key: plan.key, now: state.requestTime, maxReplayBytes: self.proxy.store.maxObject, probe: probe) {
        case .alone:
            state.reason = state.reason ?? .proxy(.hitForPass)
            return false
        case .leader(let fetch):
            state.fetch = fetch
            return false
        case .follower(let fetch):
            let token = self.makeExchangeID()
            let headers = state.head.headers
            state.followToken = token
            self.current = state
            let timeout = TimeAmount(state.table.configuration.cache.coalesceTimeout)
            let subscription = fetch.subscribe(
                on: context.eventLoop,
                timeout: timeout,
                matches: { $0.matches(headers) },
                sink: { [weak self] event in self?.followerEvent(event, token: token) }
            )
            self.current?.subscription = subscription
            return true
        }
    }

    /// Leader side: after the storage decision, tell the followers what they get.
    func publishHead(_ state: RequestState, status: Int, headers: HTTPHeaders, now: Double) {
        guard let fetch = state.fetch, let plan = state.plan else { return }
        let shareable = state.pending != nil
        var shared = headers
        for name in CachedResponse.fieldsKeptFromClients { shared.remove(name: name) }
        fetch.publishHead(status: status, headers: shared, vary: state.pending?.vary, shareable: shareable)
        if let lease = state.lease {
            // Fleet mode: the other instances waiting for this key fetch for themselves when L2 will not have it.
            let length = headers.first(name: "content-length").flatMap { Int($0) } ?? 0
            if !shareable || length > (self.proxy.fleet?.l2.maxObject ?? 0) { lease.release(.pass) }
        }
        if !shareable {
            // Hit-for-pass: the next requests for this key go upstream without queueing behind each other.
            self.proxy.coalescer.markUncacheable(key: plan.key, now: now)
        }
    }

    /// Follower side: one event of the leader's fetch, on this connection's event loop.
    func followerEvent(_ event: CoalescedFetch.Event, token: Int) {
        guard let state = self.current, state.followToken == token else { return }
        switch event {
        case .head(let status, var headers):
            if let coding = ContentCoding.of(headers), !ContentCoding.accepts(state.head.headers, coding: coding),
                !ContentCoding.passesUndecoded(state.head.headers, coding: coding)
            {
                guard let decoder = ContentDecoder(coding: coding) else {
                    // A coding this client does not accept and Reprise cannot remove: fetch for yourself.
                    guard let context = self.context else { return }
                    state.subscription?.cancel()
                    var alone = state
                    alone.subscription = nil
                    alone.followToken = 0
                    alone.reason = .follower(.varyMismatch)
                    return self.forward(alone, context: context)
                }
                headers = ContentCoding.decodedHeaders(headers)
                self.current?.decoder = decoder
            }
            let outcome = RequestOutcome(.coalesced, forward: state.forward, forwardStatus: status, collapsed: true)
            headers.add(name: "via", value: ForwardedHeaders.via(state.head.version))
            headers.add(name: "cache-status", value: outcome.headerValue)
            if let cost = state.route.rule?.cost, cost.isConfigured {
                // Another request's fetch answered this one: the upstream billed that request, not this one.
                let units = GenerationJudge.headCost(cost, headers: headers)
                headers.replaceOrAdd(name: RepriseCost.field, value: RepriseCost.value(outcome.phase, units: units, price: cost.price))
                if let partition = state.plan?.partition { self.recordSaved(cost, phase: outcome.phase, partition: partition, units: units) }
            }
            if let clientCacheControl = state.route.rule?.clientCacheControl {
                headers.replaceOrAdd(name: "cache-control", value: clientCacheControl)
            }
            self.current?.responseStarted = true
            self.proxy.counters.coalesced.wrappingAdd(1, ordering: .relaxed)
            if self.recording {
                self.record?.outcome = outcome
                self.record?.status = status
            }
            self.writeHead(
                HTTPResponseHead(version: state.head.version, status: HTTPResponseStatus(statusCode: status), headers: headers),
                requestMethod: state.head.method
            )
        case .body(let buffer):
            self.writeClientBody(buffer, decoder: state.decoder, flush: true)
        case .end:
            self.writeEnd()
        case .released(.storedByFleet):
            // The leader was answered from another instance's fetch, now in L1: look it up again.
            guard let context = self.context, !state.responseStarted else { return self.abortConnection(reason: .proxy(.upstreamError)) }
            var again = state
            again.subscription = nil
            again.followToken = 0
            self.current = again
            let directives = again.traits.hasDirectives ? CacheControl(headers: again.head.headers) : CacheControl()
            if self.consult(&again, directives: directives, context: context) { return }
            again.reason = .follower(.storedByFleet)
            self.current = again
            self.forward(again, context: context)
        case .released(let reason):
            // The leader's response cannot serve this request: fetch for yourself.
            guard let context = self.context, !state.responseStarted else { return self.abortConnection(reason: .proxy(.upstreamError)) }
            var alone = state
            alone.subscription = nil
            alone.followToken = 0
            alone.reason = .follower(reason)
            self.forward(alone, context: context)
        case .failed(let kind):
            // The shared fetch failed before its head: the same error (or a stale entry), without asking the upstream
            // that just failed once per follower.
            guard let context = self.context, !state.responseStarted else { return self.abortConnection(reason: .proxy(.upstreamError)) }
            var failed = state
            failed.subscription = nil
            failed.followToken = 0
            self.current = failed
            self.answerUpstreamFailure(kind, state: failed, context: context, collapsed: true)
        case .aborted:
            // The leader failed mid-body: cut, so the truncated body is never taken for a complete one.
            self.abortConnection(reason: .proxy(.upstreamError))
        }
    }
}
