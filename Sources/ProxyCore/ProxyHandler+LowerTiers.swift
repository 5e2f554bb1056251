import CacheStore
import HTTPCaching
import NIOCore
import Observability
import NIOHTTP1

/// A memory miss asks the tiers below memory (disk, then the fleet's Redis) before going upstream. A hit there is
/// promoted to memory when it fits (the tiered store does it) and answered exactly like a memory hit (freshness,
/// conditionals, ranges), with `detail=disk` or `detail=l2` in `Cache-Status`. Any trouble in a tier is a miss: the
/// request goes upstream as it would without it.
extension ProxyHandler {
    /// Returns true when the request now waits for a lower tier (it continues in `lowerTiersAnswered`).
    func lookupBelow(_ state: inout RequestState, context: ChannelHandlerContext, pendingBody: ByteBuffer?) -> Bool {
        guard !self.proxy.cache.lower.isEmpty, let plan = state.plan, state.stale == nil,
            state.forward == .uriMiss || state.forward == .varyMiss,
            pendingBody != nil || !Self.hasRequestBody(state.head)
        else { return false }
        // Not skipped on hit-for-pass (this instance's last response for the key could not be stored): another
        // instance, or a later response, may have stored one since. A Kling task polled while it runs is unstorable,
        // then storable once it is done; with the polls spread over instances, each one had marked the key and none
        // looked in L2, so every poll after the task finished went upstream (bench/book.sh, Kling polls 0%).
        let request = TierRequest(key: plan.key, path: state.path, headers: state.head.headers, now: state.requestTime)
        let mark = self.proxy.cache.mark()
        // Waiting before asking: a tier may answer within the call (Redis down fails a read at once).
        let token = self.makeExchangeID()
        let previous = self.current
        state.lowerToken = token
        self.current = state
        let found = self.proxy.cache.lookupBelow(request, mark: mark, on: context.eventLoop) { answer in
            self.lowerTiersAnswered(answer, token: token, pendingBody: pendingBody)
        }
        switch found {
        case .nothing:
            state.lowerToken = 0
            self.current = previous
            return false
        case .answered(let answer):
            self.lowerTiersAnswered(answer, token: token, pendingBody: pendingBody)
        case .later:
            break
        }
        return true
    }

    private func lowerTiersAnswered(_ answer: TieredStore<CachePolicy>.LowerAnswer, token: Int, pendingBody: ByteBuffer?) {
        guard var state = self.current, state.lowerToken == token, let context = self.context else { return }
        state.lowerToken = 0
        if case .varyMiss = answer { state.forward = .varyMiss }
        if case .hit(let hit) = answer, let plan = state.plan, hit.entry.vary.matches(state.head.headers), hit.entry.evictAt > self.proxy.clock.now() {
            let directives = state.traits.hasDirectives ? CacheControl(headers: state.head.headers) : CacheControl()
            state.fromTier = CacheDetail.tier(named: hit.tier)
            self.current = state
            if self.useStored(hit.entry, &state, plan: plan, directives: directives, context: context) { return }
            state.fromTier = nil
        }
        self.current = state
        self.continueMiss(&state, context: context, pendingBody: pendingBody)
    }

    /// After every cache tier missed: join a fetch in flight, or go upstream (with a body-keyed request's body).
    func continueMiss(_ state: inout RequestState, context: ChannelHandlerContext, pendingBody: ByteBuffer?) {
        if self.coalesce(&state, context: context) { return }
        // This instance's leader for the key: in fleet mode, claim it for the whole fleet first.
        if self.startFlight(&state, context: context, pendingBody: pendingBody) { return }
        self.forwardMiss(state, context: context, pendingBody: pendingBody)
    }

    /// Goes upstream with a body-keyed request's body (already read for its key).
    func forwardMiss(_ state: RequestState, context: ChannelHandlerContext, pendingBody: ByteBuffer?) {
        self.forward(state, context: context)
        if let body = pendingBody {
            if body.readableBytes > 0 { self.current?.exchange?.bodyStreamer?.append(body) }
            self.current?.exchange?.bodyStreamer?.end()
        }
    }

    /// A GET or HEAD with a body of its own streams it upstream; it does not wait for a lower tier first.
    private static func hasRequestBody(_ head: HTTPRequestHead) -> Bool {
        (head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0) > 0 || head.headers.contains(name: "transfer-encoding")
    }
}
