import AsyncHTTPClient
import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1

extension ProxyHandler {
    /// Sends the request upstream; the response streams back through the `upstream*` callbacks.
    func forward(_ state: RequestState, context: ChannelHandlerContext) {
        var state = state
        let head = state.head
        let upstream = state.route.upstream
        let headers = ForwardedHeaders.request(head, remoteAddress: context.channel.remoteAddress)
        let streamsBody =
            (head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0) > 0
            || head.headers.contains(name: "transfer-encoding")
        let exchange = UpstreamExchange(
            handler: self,
            eventLoop: context.eventLoop,
            id: self.makeExchangeID(),
            streamsBody: streamsBody
        )
        var body: HTTPClient.Body?
        if let streamer = exchange.bodyStreamer {
            let length = head.headers.first(name: "content-length").flatMap { Int64($0) }
            streamer.onBackpressure = { [weak self] paused in self?.setReadingPaused(paused) }
            let loop = context.eventLoop
            body = .stream(contentLength: length) { writer in loop.flatSubmit { streamer.attach(writer) } }
        }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(
                url: upstream.url(forClientTarget: head.uri),
                method: head.method,
                headers: headers,
                body: body
            )
        } catch {
            return self.respondError(
                ErrorResponse(status: .badRequest, message: "the request target is not a valid URL", close: true),
                version: head.version
            )
        }
        if state.forward != .method, state.forward != .bypass, state.plan == nil {
            state.forward = .bypass
        }
        state.exchange = exchange
        self.current = state
        self.proxy.counters.misses.wrappingAdd(1, ordering: .relaxed)
        exchange.task = upstream.client.execute(
            request: request,
            delegate: exchange,
            // `.delegate(on:)`, not `.delegateAndChannel(on:)`: the pool prefers a connection on this loop but keeps
            // general-purpose connections; loop-bound ones would be closed after every use under concurrency.
            eventLoop: .delegate(on: context.eventLoop)
        )
    }

    // MARK: - Upstream callbacks (on this event loop)

    func upstreamHead(_ head: HTTPResponseHead, exchange: UpstreamExchange) {
        guard var state = self.current, state.exchange === exchange, self.context != nil else { return }
        let status = Int(head.status.code)
        let now = self.proxy.clock.now()
        var headers = ForwardedHeaders.response(head.headers)
        let method = state.head.method

        // Write-invalidate: drop what this write made stale before the client can see the response.
        if !ForwardedHeaders.isSafe(method), (200..<400).contains(status) {
            let outcome = state.table.purges.invalidate(
                method: method.rawValue,
                path: state.path,
                target: state.head.uri,
                requestHeaders: state.head.headers,
                responseHeaders: headers,
                status: status,
                upstream: state.route.upstream,
                store: self.proxy.store,
                hasher: self.proxy.hasher
            )
            self.proxy.counters.invalidations.wrappingAdd(outcome.dropped, ordering: .relaxed)
        }

        var cacheStatus = CacheStatus(hit: false, forward: state.forward, forwardStatus: status)
        cacheStatus.detail = state.detail
        if let plan = state.plan, method == .GET {
            switch self.storageDecision(state: state, plan: plan, status: status, headers: headers, now: now) {
            case .store(let pending):
                state.pending = pending
                cacheStatus.stored = true
                cacheStatus.ttl = pending.info.freshness.ttlSeconds(now: now)
            case .skip(let reason):
                cacheStatus.detail = reason
            }
        }

        headers.add(name: "via", value: ForwardedHeaders.via(head.version))
        headers.add(name: "cache-status", value: cacheStatus.headerValue)
        if let clientCacheControl = state.route.rule?.clientCacheControl {
            headers.replaceOrAdd(name: "cache-control", value: clientCacheControl)
        }
        state.responseStarted = true
        self.current = state
        self.writeHead(HTTPResponseHead(version: state.head.version, status: head.status, headers: headers), requestMethod: method)
    }

    func upstreamBody(_ buffer: ByteBuffer, exchange: UpstreamExchange) -> EventLoopFuture<Void> {
        guard let context = self.context, self.current?.exchange === exchange else {
            return exchange.eventLoop.makeSucceededVoidFuture()
        }
        if self.current?.pending != nil {
            self.current!.pending!.collector.append(buffer)
        }
        let written = self.writeBody(buffer, flush: true)
        // Backpressure only when the client is slow. Waiting on every write would leave AsyncHTTPClient without
        // demand when the response end arrives, and it then closes the pooled upstream connection.
        guard let written, !context.channel.isWritable else { return exchange.eventLoop.makeSucceededVoidFuture() }
        return written
    }

    func upstreamEnd(exchange: UpstreamExchange) {
        guard let state = self.current, state.exchange === exchange, self.context != nil else { return }
        if let pending = state.pending, let plan = state.plan, let body = pending.collector.finish() {
            let entry = CachedResponse(
                key: plan.key,
                path: state.path,
                target: state.head.uri,
                partition: plan.partition,
                vary: pending.vary,
                status: pending.status,
                headers: pending.headers,
                body: body,
                info: pending.info,
                tags: state.route.rule?.tags ?? [],
                rule: state.route.rule?.name ?? "",
                evictAt: pending.evictAt
            )
            if self.proxy.store.insert(entry, now: self.proxy.clock.now()) == .stored {
                self.proxy.counters.stored.wrappingAdd(1, ordering: .relaxed)
            }
        }
        self.current?.pending = nil
        self.writeEnd()
    }

    func upstreamFailed(_ error: Error, exchange: UpstreamExchange) {
        guard let state = self.current, state.exchange === exchange, self.context != nil else { return }
        self.proxy.counters.upstreamErrors.wrappingAdd(1, ordering: .relaxed)
        self.current?.pending = nil
        let name = state.route.upstream.settings.name
        self.proxy.logger.warning(
            "upstream request failed",
            metadata: ["upstream": "\(name)", "error": "\(UpstreamErrorKind(error))"]
        )
        guard !state.responseStarted else {
            // The head is out: the only honest signal left is to cut the connection (the body is incomplete).
            self.abortConnection()
            return
        }
        let response: ErrorResponse
        switch UpstreamErrorKind(error) {
        case .timeout: response = .upstreamTimeout(name)
        case .unreachable: response = .upstreamUnreachable(name)
        case .failed: response = .upstreamFailed(name)
        }
        self.respondError(
            response,
            version: state.head.version,
            cacheStatus: CacheStatus(hit: false, forward: state.forward, detail: "upstream-error").headerValue
        )
    }

    // MARK: - Storage decision

    enum StorageDecision {
        case store(PendingEntry)
        case skip(reason: String)
    }

    func storageDecision(
        state: RequestState,
        plan: StorePlan,
        status: Int,
        headers: HTTPHeaders,
        now: Double
    ) -> StorageDecision {
        // A client's own conditional request is passed through; its 304 is not a complete response.
        if state.head.headers.contains(name: "if-none-match") || state.head.headers.contains(name: "if-modified-since")
            || state.head.headers.contains(name: "range")
        {
            return .skip(reason: "conditional-request")
        }
        if let reason = Storability.check(
            method: "GET",
            requestHeaders: state.head.headers,
            status: status,
            responseHeaders: headers,
            policy: plan.policy
        ) {
            return .skip(reason: reason.rawValue)
        }
        if let length = headers.first(name: "content-length").flatMap({ Int($0) }), length > self.proxy.store.maxObject {
            return .skip(reason: "too-large")
        }
        guard let vary = VaryKey(varyFieldValues: headers["vary"], requestHeaders: state.head.headers) else {
            return .skip(reason: NotStorableReason.varyStar.rawValue)
        }
        let freshness = Freshness.compute(
            requestTime: state.requestTime,
            responseTime: now,
            responseHeaders: headers,
            policy: plan.policy
        )
        let info = StoredResponseInfo(status: status, responseHeaders: headers, freshness: freshness)
        var stored = headers
        stored.remove(name: "age")
        let staleWindow = max(
            Double(info.cacheControl.staleWhileRevalidate ?? 0),
            Double(info.cacheControl.staleIfError ?? 0),
            plan.staleDefaults.staleWhileRevalidate ?? 0,
            plan.staleDefaults.staleIfError ?? 0
        )
        let evictAt = now + max(0, freshness.timeToLive(now: now)) + staleWindow
        return .store(
            PendingEntry(
                status: status,
                headers: stored,
                vary: vary,
                info: info,
                evictAt: evictAt,
                collector: BodyCollector(limit: self.proxy.store.maxObject)
            )
        )
    }
}
