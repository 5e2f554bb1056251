import HTTPCaching
import NIOCore
import NIOHTTP1
import ProxyConfig

/// What Reprise refuses, or answers itself, before a request is routed: nothing here reaches an upstream.
extension ProxyHandler {
    struct Refusal {
        var error: ErrorResponse
        /// What the access log shows as the target when it is not the request's own (e.g. no route).
        var loggedTarget: String?
    }

    /// The first reason to refuse `head`, if any. Every refusal is a 4xx with a JSON error body; those that leave
    /// the byte stream or the client in doubt close the connection.
    func refusal(of head: HTTPRequestHead, table: RoutingTable) -> Refusal? {
        // The common case first, with one look at the method: a GET or HEAD without a body, in origin form.
        switch head.method {
        case .GET, .HEAD:
            if !self.parserExpectsBody, head.uri.utf8.first == UInt8(ascii: "/") { return nil }
        default:
            break
        }
        // Reprise is never an open proxy: origin-form targets only (an OPTIONS * is answered locally).
        if head.method == .CONNECT {
            return Refusal(error: ErrorResponse(status: .methodNotAllowed, message: "CONNECT is not supported: Reprise is a reverse proxy", close: true))
        }
        guard head.uri.utf8.first == UInt8(ascii: "/") || (head.method == .OPTIONS && head.uri == "*") else {
            return Refusal(error: ErrorResponse(status: .badRequest, message: "only origin-form request targets (/path) are accepted", close: true))
        }
        if self.parserExpectsBody, let length = head.headers.first(name: "content-length").flatMap({ Int($0) }),
            length > self.limits.maxRequestBody
        {
            return Refusal(error: ErrorResponse(status: .payloadTooLarge, message: "request body exceeds max_request_body", close: true))
        }
        if head.method == .GET || head.method == .HEAD, self.parserExpectsBody, table.configuration.server.getWithBody == .reject {
            // A body is not part of a GET's cache key: it must never shape what other clients receive.
            return Refusal(error: ErrorResponse(status: .badRequest, message: "a \(head.method.rawValue) request may not carry a body here (get_with_body = \"reject\")", close: true))
        }
        if head.method == .TRACE, !table.configuration.server.allowTrace {
            var error = ErrorResponse(status: .methodNotAllowed, message: "TRACE is disabled (allow_trace = false)")
            error.allow = Self.allowedMethods(trace: false)
            return Refusal(error: error)
        }
        if head.method == .OPTIONS || head.method == .TRACE, MaxForwards.read(head.headers) == .invalid {
            return Refusal(error: ErrorResponse(status: .badRequest, message: "Max-Forwards is not a number (RFC 9110 §7.6.2)"))
        }
        return nil
    }

    /// Answers what Reprise is the final recipient of (RFC 9110 §7.6.2): an OPTIONS or TRACE whose `Max-Forwards`
    /// is 0, and `OPTIONS *` (about Reprise itself). Returns true when it answered.
    func answerLocally(_ head: HTTPRequestHead, table: RoutingTable) -> Bool {
        let isOptions: Bool
        switch head.method {
        case .OPTIONS: isOptions = true
        case .TRACE: isOptions = false
        default: return false
        }
        guard (isOptions && head.uri == "*") || MaxForwards.value(in: head.headers) == 0 else { return false }
        let allowTrace = table.configuration.server.allowTrace
        var headers = HTTPHeaders()
        var body = ByteBuffer()
        if isOptions {
            headers.add(name: "allow", value: Self.allowedMethods(trace: allowTrace))
        } else {
            // The final recipient of a TRACE reflects the request, minus fields that may hold credentials
            // (RFC 9110 §9.3.8): Authorization, Cookie, and every field a route keys a partition on.
            body = self.allocator.buffer(capacity: 256)
            body.writeString(self.reflectedTrace(head, table: table))
            headers.add(name: "content-type", value: "message/http")
        }
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "cache-control", value: "no-store")
        self.record?.phase = .local
        self.record?.status = 200
        self.current = nil
        self.writeHead(HTTPResponseHead(version: head.version, status: .ok, headers: headers), requestMethod: head.method)
        if body.readableBytes > 0 { self.writeBody(body, flush: false) }
        self.writeEnd()
        return true
    }

    /// The request as a TRACE's final recipient reflects it, credentials left out.
    private func reflectedTrace(_ head: HTTPRequestHead, table: RoutingTable) -> String {
        var hidden: Set<String> = ["authorization", "proxy-authorization", "cookie"]
        var target = head.uri
        if let route = table.router.route(method: head.method.rawValue, path: head.uri.pathWithoutQuery) {
            hidden.formUnion(route.credentialShape.headers)
            if let jwt = route.credentialShape.jwt { hidden.insert(jwt.header) }
            target = route.credentialShape.target(of: head.uri)
        }
        var text = "\(head.method.rawValue) \(target) HTTP/\(head.version.major).\(head.version.minor)\r\n"
        for (name, value) in head.headers where !hidden.contains(name.lowercased()) {
            text += "\(name): \(value)\r\n"
        }
        return text + "\r\n"
    }

    static func allowedMethods(trace: Bool) -> String {
        trace ? "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE" : "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    }

    // MARK: Deadlines

    /// A deadline of the connection passed (see `ConnectionStateMachine`): close, answer 408, or cut.
    func timedOut(_ timeout: ConnectionStateMachine.Timeout) {
        let counters = self.proxy.counters
        switch timeout {
        case .keepAlive:
            counters.keepAliveTimeouts.wrappingAdd(1, ordering: .relaxed)
            self.context?.close(promise: nil)
        case .header:
            counters.headerTimeouts.wrappingAdd(1, ordering: .relaxed)
            self.proxy.logger.debug("client_header_timeout: a request head did not complete in time")
            self.respondError(ErrorResponse(status: .requestTimeout, message: "the request head did not arrive in time (client_header_timeout)", close: true), version: .http1_1)
        case .body(let responseStarted):
            counters.bodyTimeouts.wrappingAdd(1, ordering: .relaxed)
            self.proxy.logger.debug("client_body_timeout", metadata: ["response_started": "\(responseStarted)"])
            let version = self.current?.head.version ?? .http1_1
            // The upstream exchange is cancelled (not detached): a request body that never completed is never stored.
            self.current?.pending = nil
            if responseStarted {
                self.cutConnection()
            } else {
                self.abandonCurrent()
                self.respondError(ErrorResponse(status: .requestTimeout, message: "the request body stalled (client_body_timeout)", close: true), version: version)
            }
        case .send:
            counters.sendTimeouts.wrappingAdd(1, ordering: .relaxed)
            self.proxy.logger.debug("send_timeout: the client stopped reading its response")
            self.endRecordIfOpen(aborted: true)
            // A fetch others wait on, or that finish_on_client_abort keeps, goes on without this client.
            self.abandonCurrent()
            self.context?.close(promise: nil)
        }
    }
}
