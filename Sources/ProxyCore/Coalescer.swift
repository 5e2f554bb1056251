import CacheStore
import Synchronization

/// Collapses concurrent cache misses on one key into one upstream request.
///
/// The first request that misses on a key becomes the leader of a `CoalescedFetch` and fetches upstream; requests
/// for the same key that arrive while that fetch still accepts joiners become its followers and receive the
/// response as it streams. A key whose response could not be stored is remembered for `hitForPass` seconds
/// ("hit-for-pass"): requests for it go upstream alone instead of queueing behind a response they cannot share.
///
/// Shared by every connection of one proxy. `Sendable` because all mutable state sits in one `Mutex`; nothing is
/// awaited and no I/O is done under it. Lock order: the coalescer's lock may be held while a fetch's lock is taken
/// (`join` asks the fetch whether it still accepts joiners), never the reverse: a fetch calls back into the
/// coalescer (`retire`) only after releasing its own lock.
final class Coalescer: Sendable {
    /// What a request that missed on a key does next.
    enum Join: Sendable {
        /// Fetch upstream and publish what you get into the fetch (head, body parts, then end or failure).
        case leader(CoalescedFetch)
        /// Subscribe to the fetch and answer from its events.
        case follower(CoalescedFetch)
        /// Hit-for-pass: fetch for yourself and publish nothing.
        case alone
    }

    /// Seconds a key stays "uncacheable, go alone" after a non-storable response.
    let hitForPass: Double
    private let state: Mutex<State>

    private struct State {
        /// One entry per key whose fetch still accepts joiners.
        var inFlight: [String: CoalescedFetch] = [:]
        /// Hit-for-pass markers: key → the time until which requests for it go alone.
        var passUntil: [String: Double] = [:]
        /// Expired markers are swept at most once per `hitForPass` window, so a marker lives at most two windows.
        var nextSweep: Double = 0
    }

    /// The purges that reached L1: a fetch that began before a purge selecting its key takes no new followers (they
    /// asked after the write that caused it, so the fetch's answer may be the pre-write one).
    let journal: PurgeJournal?

    init(hitForPass: Double = 10, journal: PurgeJournal? = nil) {
        self.hitForPass = hitForPass
        self.journal = journal
        self.state = Mutex(State())
    }

    /// Keys with a fetch in flight that still accepts joiners.
    var inFlightCount: Int {
        self.state.withLock { $0.inFlight.count }
    }

    /// Followers waiting on or streaming from the fetches that still accept joiners (for tests and diagnostics).
    var followerCount: Int {
        let fetches = self.state.withLock { Array($0.inFlight.values) }
        return fetches.reduce(0) { $0 + $1.followerCount }
    }

    /// Decides the role of a request that missed on `key`.
    ///
    /// `maxReplayBytes` (the store's max_object) bounds the body a new fetch keeps for late joiners; it is used
    /// only when this call creates the fetch.
    ///
    /// `probe` describes the entry the key's fetch would store; with it (and a journal), a fetch that a purge selected
    /// since it began is not followed: the request leads a new fetch.
    func join(key: String, now: Double, maxReplayBytes: Int, probe: PurgeProbe? = nil) -> Join {
        self.state.withLock { state in
            if now >= state.nextSweep {
                state.passUntil = state.passUntil.filter { $0.value > now }
                state.nextSweep = now + self.hitForPass
            }
            if let until = state.passUntil[key] {
                if now < until {
                    return .alone
                }
                state.passUntil[key] = nil
            }
            // A fetch that ended, failed or outgrew its replay may still sit in the map until it retires itself.
            if let fetch = state.inFlight[key], fetch.acceptsJoiners,
                fetch.probe.map({ self.journal?.unpurged($0, since: fetch.journalMark) ?? true }) ?? true
            {
                return .follower(fetch)
            }
            let fetch = CoalescedFetch(key: key, maxReplayBytes: maxReplayBytes) { [weak self] fetch in
                self?.retire(fetch)
            }
            fetch.probe = probe
            fetch.journalMark = self.journal?.current ?? 0
            state.inFlight[key] = fetch
            return .leader(fetch)
        }
    }

    /// Whether the key is marked uncacheable (hit-for-pass) now: no tier will have it, so no tier is asked.
    func isPassing(key: String, now: Double) -> Bool {
        self.state.withLock { state in state.passUntil[key].map { now < $0 } ?? false }
    }

    /// Remembers the key as uncacheable until `now + hitForPass` (the leader calls this when the response
    /// cannot be stored).
    func markUncacheable(key: String, now: Double) {
        self.state.withLock { state in
            state.passUntil[key] = now + self.hitForPass
        }
    }

    /// Forgets a fetch that no longer accepts joiners, so that the next miss on its key starts a new one.
    private func retire(_ fetch: CoalescedFetch) {
        self.state.withLock { state in
            if state.inFlight[fetch.key] === fetch {
                state.inFlight[fetch.key] = nil
            }
        }
    }
}
