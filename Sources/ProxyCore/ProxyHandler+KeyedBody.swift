import BodyKeying
import HTTPCaching
import NIOCore
import NIOHTTP1
import Observability

/// `cache_body`: AI generation results (POST and PUT) keyed on a canonical hash of the request body. The body is
/// read (up to `max_keyed_body`) before the lookup, then forwarded byte for byte on a miss.
extension ProxyHandler {
    /// Starts reading the body of a body-keyed request. Returns true when it did (the lookup waits for `.end`);
    /// false when the request is forwarded uncached, with the reason in `state.reason`.
    func beginKeyedBody(_ state: inout RequestState, context: ChannelHandlerContext) -> Bool {
        guard let rule = state.route.rule, rule.cacheBody, rule.cache else { return false }
        state.forward = .bypass
        let directives = state.traits.hasDirectives ? CacheControl(headers: state.head.headers) : CacheControl()
        if directives.noStore {
            state.reason = .notStorable(.requestNoStore)
            return false
        }
        let key = self.requestKey(state.route, state.head, traits: state.traits, now: state.requestTime)
        // A JWT that fails verification names no partition: forwarded untouched, never answered from or stored.
        if let rejection = key.rejection {
            state.reason = .credential(rejection)
            return false
        }
        // Without the credential a body-keyed route does not cache at all.
        if state.route.hasCredentialKeys && !key.hasCredential {
            state.reason = .proxy(.noCredential)
            return false
        }
        let declared = state.head.headers.first(name: "content-length").flatMap { Int($0) }
        if let declared, declared > rule.maxKeyedBody {
            state.reason = .proxy(.bodyTooLarge)
            return false
        }
        state.forward = .uriMiss
        state.bodyKeyed = true
        state.requestKey = key
        state.keyedBody = self.allocator.buffer(capacity: min(declared ?? 4096, rule.maxKeyedBody))
        self.current = state
        return true
    }

    /// One more part of a body-keyed request. Past `max_keyed_body` the request is forwarded uncached: the parts
    /// read so far go first, the rest streams.
    func appendKeyedBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard var state = self.current, var body = state.keyedBody else { return }
        state.keyedBody = nil
        body.writeImmutableBuffer(buffer)
        if body.readableBytes <= state.route.rule?.maxKeyedBody ?? 0 {
            state.keyedBody = body
            self.current = state
            return
        }
        state.bodyKeyed = false
        state.forward = .bypass
        state.reason = .proxy(.bodyTooLarge)
        self.forward(state, context: context)
        self.current?.exchange?.bodyStreamer?.append(body)
    }

    /// The whole body is here: key it, look it up, and answer from the store, follow a fetch in flight, or
    /// forward it.
    func finishKeyedBody(context: ChannelHandlerContext) {
        guard var state = self.current, let body = state.keyedBody, let key = state.requestKey,
            let rule = state.route.rule
        else { return }
        state.keyedBody = nil
        let digest = BodyKey.digest(
            body: body.readableBytesView,
            contentType: state.head.headers.first(name: "content-type"),
            ignoredFields: rule.ignoreBodyFields
        )
        var primaryKey = state.head.method.rawValue + " " + key.target + " " + key.partition + " " + key.authority + " " + digest
        if let namespace = state.controls?.namespace { primaryKey += ClientControls.keySuffix(namespace: namespace) }
        state.plan = self.makePlan(state, key: key, primaryKey: primaryKey, bodyKeyed: true)
        self.current = state
        let directives = state.traits.hasDirectives ? CacheControl(headers: state.head.headers) : CacheControl()
        if self.consult(&state, directives: directives, context: context) { return }
        if self.lookupBelow(&state, context: context, pendingBody: body) { return }
        self.continueMiss(&state, context: context, pendingBody: body)
    }
}
