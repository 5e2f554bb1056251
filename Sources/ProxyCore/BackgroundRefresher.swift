import CacheStore
import HTTPCaching
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Observability
import ProxyConfig
import RedisCache
import UpstreamHTTP

/// stale-while-revalidate (RFC 5861 §3): refreshes a stale entry off the request path, at most once at a time
/// per key, so that one stale window costs one upstream request however many clients read it meanwhile.
final class BackgroundRefresher: Sendable {
    private let inFlight = NIOLockedValueBox<Set<String>>([])
    private let cache: TieredStore<CachePolicy>
    private let clock: WallClock
    /// Fleet mode: one refresh per key for the whole fleet.
    private let fleet: RedisFleet?
    private let logger: Logger
    /// Counts a refresh whose upstream call failed (kind, upstream name).
    private let onUpstreamError: @Sendable (UpstreamErrorKind, String) -> Void

    init(
        cache: TieredStore<CachePolicy>,
        clock: WallClock,
        fleet: RedisFleet?,
        logger: Logger,
        onUpstreamError: @escaping @Sendable (UpstreamErrorKind, String) -> Void = { _, _ in }
    ) {
        self.cache = cache
        self.clock = clock
        self.fleet = fleet
        self.logger = logger
        self.onUpstreamError = onUpstreamError
    }

    /// Number of refreshes running now.
    var count: Int { self.inFlight.withLockedValue { $0.count } }

    /// Starts the refresh on `eventLoop` (the calling connection's; its upstream connection lives there too).
    func refresh(_ entry: CachedResponse, plan: StorePlan, state: RequestState, on eventLoop: EventLoop) {
        let claimed = self.inFlight.withLockedValue { $0.insert(entry.key).inserted }
        guard claimed else { return }
        let upstream = state.route.upstream
        var headers = ForwardedHeaders.request(state.head, peer: state.peer, upstreamHost: upstream.hostField)
        for name in RequestTraits.conditionalFields { headers.remove(name: name) }
        if entry.status == 200 {
            for (name, value) in Revalidation.conditionalHeaders(for: entry.info) { headers.add(name: name, value: value) }
        }
        let makeDelegate = { (lease: FlightLease?) in RefreshDelegate(
            refresher: self,
            eventLoop: eventLoop,
            entry: entry,
            plan: plan,
            requestHeaders: state.head.headers,
            requestTime: self.clock.now(),
            mark: self.cache.mark(),
            settings: state.route.rule,
            upstream: upstream.settings.name,
            lease: lease
        ) }
        // The client's own target: the stored one has its credential query parameters removed.
        let request = upstream.requestHead(
            method: .GET,
            clientTarget: state.head.uri,
            clientHeaders: HTTPHeaders(),
            forwarded: headers
        )
        let start = { (lease: FlightLease?) in
            _ = upstream.client.execute(request.head, body: .none, on: eventLoop, handler: makeDelegate(lease))
        }
        guard let fleet = self.fleet else { return start(nil) }
        guard fleet.canCoordinate else {
            fleet.record(.fallback)
            return start(nil)
        }
        // Waiting on another instance's refresh ends with coalesce_timeout, as any wait on another fetch does.
        let deadline = NIODeadline.now() + TimeAmount(state.table.configuration.cache.coalesceTimeout)
        self.claimRefresh(of: entry, fleet: fleet, attempt: 0, deadline: deadline, on: eventLoop, start: start)
    }

    /// Fleet mode: one refresh for the whole fleet. The claim answers L2's entry instead when it is newer than this
    /// stale copy (it outlives it by more than half a second: a refresh stores a new expiry). Claimed elsewhere: the
    /// key stays marked as refreshing here until that instance lets its lease go (then L1 takes its copy from L2,
    /// or after a failure this instance claims again) or the lease runs out unrenewed (claim again: take over).
    private func claimRefresh(
        of entry: CachedResponse,
        fleet: RedisFleet,
        attempt: Int,
        deadline: NIODeadline,
        on eventLoop: EventLoop,
        start: @escaping (FlightLease?) -> Void
    ) {
        let remaining = Int64(max(0, entry.evictAt - self.clock.now()) * 1000) + 500
        fleet.flights.claim(key: entry.key, minimumRemaining: .milliseconds(remaining)).hop(to: eventLoop).whenComplete { result in
            switch (try? result.get()) ?? .unavailable {
            case .won(let lease):
                fleet.record(.led)
                if attempt > 0 { fleet.record(.takeover) }
                start(lease)
            case .unavailable:
                fleet.record(.fallback)
                start(nil)
            case .entry(let newer, let traits):
                self.adopt(newer, traits: traits, key: entry.key, fleet: fleet)
            case .held(let leaseLeft):
                guard NIODeadline.now() < deadline else { return self.finished(entry.key) }
                self.awaitRefresh(of: entry.key, fleet: fleet, leaseLeft: leaseLeft, on: eventLoop) {
                    self.claimRefresh(of: entry, fleet: fleet, attempt: attempt + 1, deadline: deadline, on: eventLoop, start: start)
                }
            }
        }
    }

    /// Another instance refreshed the entry: this instance's tiers take its copy from L2.
    private func adopt(_ newer: CachedResponse, traits: EntryTraits, key: String, fleet: RedisFleet) {
        if self.cache.adopt(newer, traits: traits, fromTier: fleet.name, mark: self.cache.mark(), now: self.clock.now()) {
            fleet.record(.coalesced)
        }
        self.finished(key)
    }

    /// Waits for the holder of the key's lease: `stored` → L1 takes the entry from L2; `failed`, or the lease's end
    /// (`leaseLeft`, unless renewed meanwhile) → `claimAgain`; `pass` or Redis lost → the next stale read decides.
    private func awaitRefresh(
        of key: String,
        fleet: RedisFleet,
        leaseLeft: TimeAmount,
        on eventLoop: EventLoop,
        claimAgain: @escaping () -> Void
    ) {
        let done = NIOLockedValueBox(false)
        let watch = NIOLockedValueBox(0)
        let expiry = NIOLockedValueBox<Scheduled<Void>?>(nil)
        let finish: @Sendable (FlightLeases.Wake?) -> Void = { wake in
            guard done.withLockedValue({ let was = $0; $0 = true; return !was }) else { return }
            fleet.flights.unwatch(key: key, id: watch.withLockedValue { $0 })
            expiry.withLockedValue { $0 }?.cancel()
            switch wake {
            case .released(.stored):
                fleet.lookup(key: key).whenComplete { result in
                    guard let (entry, traits) = (try? result.get()) ?? nil else { return self.finished(key) }
                    self.adopt(entry, traits: traits, key: key, fleet: fleet)
                }
            case nil, .released(.failed):
                claimAgain()
            case .released(.pass), .lost:
                self.finished(key)
            }
        }
        watch.withLockedValue { $0 = fleet.flights.watch(key: key) { wake in finish(wake) } }
        expiry.withLockedValue { $0 = eventLoop.scheduleTask(in: leaseLeft + .milliseconds(10)) { finish(nil) } }
    }

    fileprivate func failed(_ key: String, error: UpstreamError, upstream: String) {
        self.onUpstreamError(UpstreamErrorKind(error), upstream)
        self.finished(key)
    }

    fileprivate func finished(_ key: String) {
        _ = self.inFlight.withLockedValue { $0.remove(key) }
    }

    /// Stores the refreshed response in every tier; the lease is released once L2's write is decided (`stored` wakes
    /// the other instances' waiters to read it, anything else sends them upstream themselves).
    fileprivate func commit(_ response: CachedResponse, traits: EntryTraits, mark: TieredStore<CachePolicy>.FetchMark, lease: FlightLease?) {
        self.cache.commit(response, traits: traits, mark: mark, now: self.clock.now()) { stored in
            lease?.release(stored ? .stored : .pass)
        }
    }

    fileprivate var now: Double { self.clock.now() }

    fileprivate var maxObject: Int { self.cache.maxObject }
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
    private let mark: TieredStore<CachePolicy>.FetchMark
    private let settings: RuleSettings?
    private let upstream: String
    /// Fleet mode: the fleet's claim on the key, released with what became of the refresh.
    private let lease: FlightLease?
    private var pending: PendingEntry?
    private var notModified: HTTPHeaders?

    init(
        refresher: BackgroundRefresher,
        eventLoop: EventLoop,
        entry: CachedResponse,
        plan: StorePlan,
        requestHeaders: HTTPHeaders,
        requestTime: Double,
        mark: TieredStore<CachePolicy>.FetchMark,
        settings: RuleSettings?,
        upstream: String,
        lease: FlightLease?
    ) {
        self.lease = lease
        self.upstream = upstream
        self.settings = settings
        self.refresher = refresher
        self.eventLoop = eventLoop
        self.entry = entry
        self.plan = plan
        self.requestHeaders = requestHeaders
        self.requestTime = requestTime
        self.mark = mark
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

    func upstreamBodyPart(_ buffer: ByteBuffer) -> EventLoopFuture<Void>? {
        self.pending?.collector.append(buffer)
        return nil
    }

    func upstreamEnd() {
        // The lease goes with the entry to the committer (released once L2 has it); nothing to store (an unmatched
        // 304, a response that may not be stored): the others refresh themselves.
        var handedOver = false
        defer {
            if !handedOver { self.lease?.release(.pass) }
            self.refresher.finished(self.entry.key)
        }
        let now = self.refresher.now
        if let notModified = self.notModified {
            if let refreshed = StoragePlanner.refreshed(
                self.entry,
                notModified: notModified,
                requestTime: self.requestTime,
                now: now,
                plan: self.plan
            ) {
                let traits = EntryCost.traits(of: refreshed, fetchSeconds: now - self.requestTime)
                self.refresher.commit(refreshed, traits: traits, mark: self.mark, lease: self.lease)
                handedOver = true
            }
        } else if let pending = self.pending, let body = pending.collector.finish() {
            let cost = self.settings?.cost ?? CostSettings()
            let verdict = GenerationJudge.judge(
                self.settings,
                headers: pending.headers,
                body: body,
                headUnits: GenerationJudge.headCost(cost, headers: pending.headers)
            )
            // store_if_*: a refresh that is not a good generation keeps the stale entry as it is.
            guard verdict.reason == nil else { return }
            let units = verdict.units ?? 0
            self.refresher.commit(
                pending.entry(
                    key: self.entry.key,
                    target: self.entry.target,
                    partition: self.entry.partition,
                    tags: self.settings?.tags ?? [],
                    body: body,
                    savedCost: units
                ),
                traits: EntryCost.traits(units: units, fetchSeconds: now - self.requestTime),
                mark: self.mark,
                lease: self.lease
            )
            handedOver = true
        }
    }

    func upstreamFailed(_ error: UpstreamError) {
        self.lease?.release(.failed)
        self.refresher.failed(self.entry.key, error: error, upstream: self.upstream)
    }
}
