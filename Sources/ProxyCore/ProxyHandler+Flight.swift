import CacheStore
import HTTPCaching
import NIOCore
import Observability
import RedisCache

/// Cross-instance single flight (issue 17), the shell around `FleetFlight`: the request that leads a key's fetch on
/// this instance claims the key in Redis; when another instance holds it, this request (and its local followers)
/// wait for that fetch's release and are answered from L2.
extension ProxyHandler {
    /// A leader's wait on the fleet, kept in `RequestState.flight` until it leads, answers or goes alone.
    struct FlightWait {
        var machine = FleetFlight()
        let token: Int
        let key: String
        /// The body of a body-keyed request, forwarded when this request goes upstream after all.
        let pendingBody: ByteBuffer?
        /// Purges after this mark make an entry read from L2 unusable.
        let mark: TieredStore<CachePolicy>.FetchMark
        var watchID = 0
        var deadline: Scheduled<Void>?
        var leaseTimer: Scheduled<Void>?
        var entry: CachedResponse?
        var traits = EntryTraits()
    }

    enum FlightInput {
        case claim(FlightLeases.Claim)
        case wake(FlightLeases.Wake)
        case leaseTimer(attempt: Int)
        case deadline
        case l2((entry: CachedResponse, traits: EntryTraits)?)
    }

    /// Starts the flight for a local leader's miss. Returns true when the request now waits on it; false when it
    /// goes upstream at once (no fleet, not a fleet-coalescable miss, Redis unavailable).
    func startFlight(_ state: inout RequestState, context: ChannelHandlerContext, pendingBody: ByteBuffer?) -> Bool {
        guard let fleet = self.proxy.fleet, state.fetch != nil, let plan = state.plan, state.stale == nil,
            state.forward == .uriMiss || state.forward == .varyMiss
        else { return false }
        guard fleet.canCoordinate else {
            // Redis down or unsubscribed: this instance coalesces alone, at once.
            fleet.record(.fallback)
            state.reason = state.reason ?? .fleet(.fallback)
            return false
        }
        let token = self.makeExchangeID()
        var wait = FlightWait(token: token, key: plan.key, pendingBody: pendingBody, mark: self.proxy.cache.mark())
        let loop = context.eventLoop
        // Registered before the claim goes out: a release published while the claim is on its way is heard.
        wait.watchID = fleet.flights.watch(key: plan.key) { [weak self] wake in
            loop.execute { self?.flightInput(.wake(wake), token: token) }
        }
        wait.deadline = loop.scheduleTask(in: TimeAmount(state.table.configuration.cache.coalesceTimeout)) { [weak self] in
            self?.flightInput(.deadline, token: token)
        }
        let action = wait.machine.start()
        state.flight = wait
        self.current = state
        self.performFlight(action, token: token)
        return true
    }

    /// One event of the flight, on this connection's event loop.
    func flightInput(_ input: FlightInput, token: Int) {
        guard var state = self.current, var wait = state.flight, wait.token == token else {
            // The request ended (its client left) while a claim was on its way: a lease won is let go at once.
            if case .claim(.won(let lease)) = input { lease.release(.failed) }
            return
        }
        let action: FleetFlight.Action
        switch input {
        case .claim(let claim):
            switch claim {
            case .won(let lease):
                state.lease = lease
                action = wait.machine.claimReplied(.won)
            case .held(let remaining):
                action = wait.machine.claimReplied(.held(remaining: remaining))
            case .entry(let entry, let traits):
                wait.entry = entry
                wait.traits = traits
                action = wait.machine.claimReplied(.entry)
            case .unavailable:
                action = wait.machine.claimReplied(.unavailable)
            }
        case .wake(.released(let outcome)):
            action = wait.machine.heard(outcome)
        case .wake(.lost):
            action = wait.machine.redisLost()
        case .leaseTimer(let attempt):
            action = wait.machine.leaseTimerFired(attempt: attempt)
        case .deadline:
            action = wait.machine.deadlinePassed()
        case .l2(let found):
            let usable = found.map { $0.entry.vary.matches(state.head.headers) && $0.entry.evictAt > self.proxy.clock.now() } ?? false
            wait.entry = usable ? found?.entry : nil
            wait.traits = found?.traits ?? EntryTraits()
            action = wait.machine.l2Read(found: usable)
        }
        if case .releaseUnused = action, case .claim(.won(let lease)) = input {
            lease.release(.failed)
            state.lease = nil
        }
        state.flight = wait
        self.current = state
        self.performFlight(action, token: token)
    }

    private func performFlight(_ action: FleetFlight.Action, token: Int) {
        guard let fleet = self.proxy.fleet, let context = self.context, let wait = self.current?.flight else { return }
        let loop = context.eventLoop
        switch action {
        case .none, .releaseUnused:
            return
        case .claim:
            fleet.flights.claim(key: wait.key).hop(to: loop).whenComplete { [weak self] result in
                self?.flightInput(.claim((try? result.get()) ?? .unavailable), token: token)
            }
        case .wait(let leaseLeft, let attempt):
            wait.leaseTimer?.cancel()
            // A little past the lease's end, so that a holder's renewal (every third of the lease) is seen first.
            self.current?.flight?.leaseTimer = loop.scheduleTask(in: leaseLeft + .milliseconds(10)) { [weak self] in
                self?.flightInput(.leaseTimer(attempt: attempt), token: token)
            }
        case .readL2:
            fleet.lookup(key: wait.key).hop(to: loop).whenComplete { [weak self] result in
                self?.flightInput(.l2((try? result.get()) ?? nil), token: token)
            }
        case .lead(let takeover):
            fleet.record(.led)
            if takeover { fleet.record(.takeover) }
            self.endFlight(context: context)
        case .useEntry:
            self.endFlight(context: context, goUpstream: false)
            self.answerFromFleet(wait.entry, traits: wait.traits, mark: wait.mark, pendingBody: wait.pendingBody, context: context)
        case .goAlone(let reason):
            switch reason {
            case .fallback: fleet.record(.fallback)
            case .timeout: fleet.record(.timeout)
            case .pass: break
            }
            if self.current?.reason == nil { self.current?.reason = .fleet(reason) }
            self.endFlight(context: context)
        }
    }

    /// Stops waiting on the fleet; a request that did not get its answer from L2 goes upstream as this instance's
    /// leader (holding the lease, when it won one).
    private func endFlight(context: ChannelHandlerContext, goUpstream: Bool = true) {
        guard var state = self.current, let wait = state.flight else { return }
        self.stopWatching(wait)
        state.flight = nil
        self.current = state
        guard goUpstream else { return }
        self.forwardMiss(state, context: context, pendingBody: wait.pendingBody)
    }

    func stopWatching(_ wait: FlightWait) {
        wait.deadline?.cancel()
        wait.leaseTimer?.cancel()
        self.proxy.fleet?.flights.unwatch(key: wait.key, id: wait.watchID)
    }

    /// Another instance's fetch is in L2: promote it and answer like an L2 hit; this instance's followers of the key
    /// look it up again (in memory now). Goes upstream when the entry cannot answer this request after all.
    private func answerFromFleet(
        _ entry: CachedResponse?,
        traits: EntryTraits,
        mark: TieredStore<CachePolicy>.FetchMark,
        pendingBody: ByteBuffer?,
        context: ChannelHandlerContext
    ) {
        guard var state = self.current, let entry, let plan = state.plan, let fleet = self.proxy.fleet else { return }
        let directives = state.traits.hasDirectives ? CacheControl(headers: state.head.headers) : CacheControl()
        var answered = false
        // Not usable when a purge since the flight began selects it (it may be what the purge dropped).
        if self.proxy.cache.adopt(entry, traits: traits, fromTier: fleet.name, mark: mark, now: self.proxy.clock.now()) {
            state.fromTier = CacheDetail.tier(named: fleet.name)
            self.current = state
            answered = self.useStored(entry, &state, plan: plan, directives: directives, context: context)
        }
        if answered {
            fleet.record(.coalesced)
            state.fetch?.publishRelease(.storedByFleet)
            return
        }
        state.fromTier = nil
        self.current = state
        self.forwardMiss(state, context: context, pendingBody: pendingBody)
    }
}
