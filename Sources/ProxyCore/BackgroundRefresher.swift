import CacheStore
import HTTPCaching
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import ProxyConfig
import UpstreamHTTP

/// stale-while-revalidate (RFC 5861 §3): refreshes a stale entry off the request path, at most once at a time
/// per key, so that one stale window costs one upstream request however many clients read it meanwhile.
final class BackgroundRefresher: Sendable {
    private let inFlight = NIOLockedValueBox<Set<String>>([])
    private let committer: EntryCommitter
    private let logger: Logger
    /// Counts a refresh whose upstream call failed (kind, upstream name).
    private let onUpstreamError: @Sendable (UpstreamErrorKind, String) -> Void

    init(committer: EntryCommitter, logger: Logger, onUpstreamError: @escaping @Sendable (UpstreamErrorKind, String) -> Void = { _, _ in }) {
        self.committer = committer
        self.logger = logger
        self.onUpstreamError = onUpstreamError
    }

    private var clock: WallClock { self.committer.clock }

    /// Number of refreshes running now.
    var count: Int { self.inFlight.withLockedValue { $0.count } }

    /// Starts the refresh on `eventLoop` (the calling connection's; its upstream connection lives there too).
    func refresh(_ entry: CachedResponse, plan: StorePlan, state: RequestState, on eventLoop: EventLoop) {
        let claimed = self.inFlight.withLockedValue { $0.insert(entry.key).inserted }
        guard claimed else { return }
        var headers = ForwardedHeaders.request(state.head, peer: state.peer)
        for name in RequestTraits.conditionalFields { headers.remove(name: name) }
        if entry.status == 200 {
            for (name, value) in Revalidation.conditionalHeaders(for: entry.info) { headers.add(name: name, value: value) }
        }
        let upstream = state.route.upstream
        let delegate = RefreshDelegate(
            refresher: self,
            eventLoop: eventLoop,
            entry: entry,
            plan: plan,
            requestHeaders: state.head.headers,
            requestTime: self.clock.now(),
            mark: self.committer.mark(),
            tags: state.route.rule?.tags ?? [],
            rule: state.route.rule?.name ?? "",
            omittedOnHits: Set(state.route.rule?.hitDropHeaders ?? []),
            settings: state.route.rule,
            upstream: upstream.settings.name
        )
        // The client's own target: the stored one has its credential query parameters removed.
        let request = upstream.requestHead(
            method: .GET,
            clientTarget: state.head.uri,
            clientHeaders: HTTPHeaders(),
            forwarded: headers
        )
        _ = upstream.client.execute(request.head, body: .none, on: eventLoop, handler: delegate)
    }

    fileprivate func failed(_ key: String, error: UpstreamError, upstream: String) {
        self.onUpstreamError(UpstreamErrorKind(error), upstream)
        self.finished(key)
    }

    fileprivate func finished(_ key: String) {
        _ = self.inFlight.withLockedValue { $0.remove(key) }
    }

    fileprivate func commit(_ response: CachedResponse, mark: EntryCommitter.FetchMark) {
        self.committer.commit(response, mark: mark)
    }

    fileprivate var now: Double { self.clock.now() }

    fileprivate var maxObject: Int { self.committer.maxObject }
}

/// Collects one background response; stores it (200) or refreshes the entry (matching 304) when it ends cleanly.
///
/// Confined to the event loop its call runs on.
private final class RefreshDelegate: UpstreamResponseHandler {
    private let refresher: BackgroundRefresher
    private let eventLoop: EventLoop
    private let entry: CachedResponse
    private let plan: StorePlan
    private let requestHeaders: HTTPHeaders
    private let requestTime: Double
    private let mark: EntryCommitter.FetchMark
    private let tags: [String]
    private let rule: String
    private let omittedOnHits: Set<String>
    private let settings: RuleSettings?
    private let upstream: String
    private var pending: PendingEntry?
    private var notModified: HTTPHeaders?

    init(
        refresher: BackgroundRefresher,
        eventLoop: EventLoop,
        entry: CachedResponse,
        plan: StorePlan,
        requestHeaders: HTTPHeaders,
        requestTime: Double,
        mark: EntryCommitter.FetchMark,
        tags: [String],
        rule: String,
        omittedOnHits: Set<String>,
        settings: RuleSettings?,
        upstream: String
    ) {
        self.upstream = upstream
        self.omittedOnHits = omittedOnHits
        self.settings = settings
        self.refresher = refresher
        self.eventLoop = eventLoop
        self.entry = entry
        self.plan = plan
        self.requestHeaders = requestHeaders
        self.requestTime = requestTime
        self.mark = mark
        self.tags = tags
        self.rule = rule
    }

    /// Interim responses of a background request have no client to go to.
    func upstreamInformational(_ head: HTTPResponseHead) {}

    func upstreamHead(_ head: HTTPResponseHead) -> EventLoopFuture<Void>? {
        let headers = ForwardedHeaders.response(head.headers)
        if head.status == .notModified {
            if Revalidation.notModifiedMatches(stored: self.entry.info, notModifiedHeaders: headers) {
                self.notModified = headers
            }
        } else if GenerationJudge.headVerdict(self.settings?.storeIf ?? StoreConditions(), headers: headers) == nil,
            case .store(let pending) = StoragePlanner.decide(
            requestHeaders: self.requestHeaders,
            requestTime: self.requestTime,
            plan: self.plan,
            status: Int(head.status.code),
            headers: headers,
            now: self.refresher.now,
            maxObject: self.refresher.maxObject
        ) {
            self.pending = pending
        }
        return nil
    }

    func upstreamBodyPart(_ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        self.pending?.collector.append(buffer)
        return self.eventLoop.makeSucceededVoidFuture()
    }

    func upstreamEnd() {
        defer { self.refresher.finished(self.entry.key) }
        let now = self.refresher.now
        if let notModified = self.notModified {
            if let refreshed = StoragePlanner.refreshed(
                self.entry,
                notModified: notModified,
                requestTime: self.requestTime,
                now: now,
                plan: self.plan
            ) {
                self.refresher.commit(refreshed, mark: self.mark)
            }
        } else if let pending = self.pending, let body = pending.collector.finish(keepingParts: pending.isChunked) {
            let cost = self.settings?.cost ?? CostSettings()
            let verdict = GenerationJudge.judge(
                self.settings,
                headers: pending.headers,
                body: body,
                headUnits: GenerationJudge.headCost(cost, headers: pending.headers)
            )
            // store_if_*: a refresh that is not a good generation keeps the stale entry as it is.
            guard verdict.reason == nil else { return }
            self.refresher.commit(
                pending.entry(
                    key: self.entry.key,
                    path: self.entry.path,
                    target: self.entry.target,
                    partition: self.entry.partition,
                    tags: self.tags,
                    rule: self.rule,
                    body: body,
                    omittedOnHits: self.omittedOnHits,
                    savedCost: verdict.units ?? 0
                ),
                mark: self.mark
            )
        }
    }

    func upstreamFailed(_ error: UpstreamError) {
        self.refresher.failed(self.entry.key, error: error, upstream: self.upstream)
    }
}
