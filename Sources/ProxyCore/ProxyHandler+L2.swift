import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1

/// Fleet mode: an L1 miss asks the shared L2 in Redis before going upstream. An L2 hit is promoted to L1 and then
/// answered exactly like an L1 hit (freshness, conditionals, ranges), with `detail=l2` in `Cache-Status`. Any Redis
/// trouble is a miss: the request goes upstream as it would without Redis.
extension ProxyHandler {
    /// Returns true when the request now waits for Redis (it continues in `l2Answered`).
    func lookupL2(_ state: inout RequestState, context: ChannelHandlerContext, pendingBody: ByteBuffer?) -> Bool {
        guard let fleet = self.proxy.fleet, let plan = state.plan, state.stale == nil,
            state.forward == .uriMiss || state.forward == .varyMiss,
            pendingBody != nil || !Self.hasRequestBody(state.head)
        else { return false }
        // Not skipped on hit-for-pass (this instance's last response for the key could not be stored): another
        // instance, or a later response, may have stored one since. A Kling task polled while it runs is unstorable,
        // then storable once it is done; with the polls spread over instances, each one had marked the key and none
        // looked in L2, so every poll after the task finished went upstream (bench/book.sh, Kling polls 0%).
        let token = self.makeExchangeID()
        state.l2Token = token
        self.current = state
        let mark = self.proxy.committer.mark()
        fleet.lookup(key: plan.key).hop(to: context.eventLoop).whenComplete { result in
            let entry = (try? result.get()) ?? nil
            self.l2Answered(entry, token: token, mark: mark, pendingBody: pendingBody)
        }
        return true
    }

    private func l2Answered(_ entry: CachedResponse?, token: Int, mark: EntryCommitter.FetchMark, pendingBody: ByteBuffer?) {
        guard var state = self.current, state.l2Token == token, let context = self.context else { return }
        state.l2Token = 0
        if let entry, let plan = state.plan, entry.vary.matches(state.head.headers), entry.evictAt > self.proxy.clock.now() {
            let directives = state.traits.hasDirectives ? CacheControl(headers: state.head.headers) : CacheControl()
            state.fromL2 = true
            self.current = state
            switch self.proxy.committer.promote(entry, mark: mark) {
            case .promoted:
                if self.consult(&state, directives: directives, context: context) { return }
            case .tooLargeForL1:
                if self.useStored(entry, &state, plan: plan, directives: directives, context: context) { return }
            case .purgedMeanwhile:
                state.fromL2 = false
            }
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

    /// A GET or HEAD with a body of its own streams it upstream; it does not wait for Redis first.
    private static func hasRequestBody(_ head: HTTPRequestHead) -> Bool {
        (head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0) > 0 || head.headers.contains(name: "transfer-encoding")
    }
}
