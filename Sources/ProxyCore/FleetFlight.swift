import Observability
import NIOCore
import RedisCache

/// Cross-instance single flight for one miss (issue 17): the request that leads a key's fetch on this instance
/// claims the key in Redis before going upstream. If another instance holds the claim, it waits for that fetch's
/// release and answers from L2; if the other instance fails, dies or lets its lease expire, one waiter takes over.
///
/// A value: the owner reports events and performs the action each returns (send the claim, arm the lease timer,
/// read L2, go upstream). It never waits by itself: the owner arms one deadline (`coalesce_timeout`) when the
/// flight starts and reports `deadlinePassed`; every Redis command is bounded by the command timeout.
struct FleetFlight {
    /// Why the request goes upstream without the fleet's coordination.
    /// Why the request fetches without the fleet's claim.
    typealias Alone = FleetAlone

    enum Action: Equatable {
        /// Send a claim (and arm nothing: the reply comes within the command timeout).
        case claim
        /// The claim is ours: go upstream, and release the lease with what became of the response.
        case lead(takeover: Bool)
        /// Another instance holds the claim: wait for its release, and claim again if none came after `leaseLeft`.
        case wait(leaseLeft: TimeAmount, attempt: Int)
        /// The holder stored its response: read L2.
        case readL2
        /// L2 holds the entry (from the claim's reply or the read): answer from it.
        case useEntry
        /// Go upstream as this instance's leader, without a lease.
        case goAlone(Alone)
        /// A lease won after the flight ended: let it go at once (`failed`, so a waiter takes over).
        case releaseUnused
        case none
    }

    enum ClaimReply: Equatable {
        case won
        case held(remaining: TimeAmount)
        case entry
        case unavailable
    }

    private enum State: Equatable {
        case idle
        /// A claim is on its way; a release heard meanwhile is kept (it may concern the holder the claim will find).
        case claiming(attempt: Int, heard: FlightLeases.Outcome?)
        case waiting(attempt: Int)
        case readingL2(attempt: Int)
        case done
    }

    private var state = State.idle

    /// The flight starts: claim the key.
    mutating func start() -> Action {
        guard self.state == .idle else { return .none }
        self.state = .claiming(attempt: 0, heard: nil)
        return .claim
    }

    mutating func claimReplied(_ reply: ClaimReply) -> Action {
        guard case .claiming(let attempt, let heard) = self.state else {
            // The flight ended (deadline, Redis lost) while this claim was on its way.
            return reply == .won ? .releaseUnused : .none
        }
        switch reply {
        case .won:
            self.state = .done
            return .lead(takeover: attempt > 0)
        case .entry:
            self.state = .done
            return .useEntry
        case .unavailable:
            self.state = .done
            return .goAlone(.fallback)
        case .held(let remaining):
            if let heard { return self.released(heard, attempt: attempt) }
            self.state = .waiting(attempt: attempt)
            return .wait(leaseLeft: remaining, attempt: attempt)
        }
    }

    /// The holder of the key's lease let go of it.
    mutating func heard(_ outcome: FlightLeases.Outcome) -> Action {
        switch self.state {
        case .claiming(let attempt, _):
            self.state = .claiming(attempt: attempt, heard: outcome)
            return .none
        case .waiting(let attempt):
            return self.released(outcome, attempt: attempt)
        case .idle, .readingL2, .done:
            return .none
        }
    }

    private mutating func released(_ outcome: FlightLeases.Outcome, attempt: Int) -> Action {
        switch outcome {
        case .stored:
            self.state = .readingL2(attempt: attempt)
            return .readL2
        case .pass:
            self.state = .done
            return .goAlone(.pass)
        case .failed:
            // Take over: every waiter claims, one wins, the others wait for it.
            self.state = .claiming(attempt: attempt + 1, heard: nil)
            return .claim
        }
    }

    /// The lease this flight waited on should have expired by now (its holder neither renewed nor released it).
    mutating func leaseTimerFired(attempt: Int) -> Action {
        guard case .waiting(let waitingAttempt) = self.state, waitingAttempt == attempt else { return .none }
        self.state = .claiming(attempt: attempt + 1, heard: nil)
        return .claim
    }

    /// The L2 read after a `stored` release: found (and usable for this request) or not.
    mutating func l2Read(found: Bool) -> Action {
        guard case .readingL2(let attempt) = self.state else { return .none }
        if found {
            self.state = .done
            return .useEntry
        }
        // Stored, then gone (purged, evicted) or another variant: claim again.
        self.state = .claiming(attempt: attempt + 1, heard: nil)
        return .claim
    }

    /// `coalesce_timeout` passed since the flight started.
    mutating func deadlinePassed() -> Action {
        switch self.state {
        case .idle, .done: return .none
        case .claiming, .waiting, .readingL2:
            self.state = .done
            return .goAlone(.timeout)
        }
    }

    /// The wake-up channel dropped (Redis went away): a release may never be heard.
    mutating func redisLost() -> Action {
        switch self.state {
        case .idle, .done: return .none
        case .claiming, .waiting, .readingL2:
            self.state = .done
            return .goAlone(.fallback)
        }
    }
}
