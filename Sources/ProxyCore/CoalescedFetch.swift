import CacheStore
import HTTPCaching
import NIOCore
import NIOHTTP1
import Observability
import Synchronization

/// One upstream fetch that concurrent requests for the same cache key share while it streams.
///
/// The leader publishes the response on its own event loop, in order: `publishHead`, `publishBody` for each part,
/// then `publishEnd` or `publishFailure`. Followers subscribe from any event loop and receive the same events, in
/// order, on theirs. A follower that subscribes late first gets a replay (the head and every body part so far),
/// then the live parts. The replay copy is kept while the body is at most `maxReplayBytes`; past that the fetch
/// stops accepting joiners and attached followers keep streaming live.
///
/// When it stops accepting joiners (end, failure, non-shareable head, body past the replay limit) the fetch retires
/// itself from its `Coalescer` through `onRetire`, so the next miss on the key starts a new fetch.
///
/// Concurrency: every mutable field lives in `state` (a `Mutex`). Each method decides under the lock and collects
/// `Effects`; events are delivered after the lock is released, through each follower's event loop. Each follower
/// has an outbox drained by one task at a time on its loop, so its events arrive in publication order even when
/// `subscribe` (follower loop) races `publishBody` (leader loop). `Sendable` is sound: the non-`Sendable` values
/// stored (followers' `sink` and `matches` closures) are only reached under the lock (`matches`, which must be
/// pure) or on the follower's own event loop (`sink`).
final class CoalescedFetch: Sendable {
    /// What a follower receives.
    enum Event: Sendable, Equatable {
        /// The leader's response head (already hop-by-hop-free).
        case head(status: Int, headers: HTTPHeaders)
        case body(ByteBuffer)
        case end
        /// Go fetch for yourself: the response cannot be shared with you. Always the first and only event a
        /// released follower gets, so it has written nothing to its client yet.
        case released(ReleaseReason)
        /// The leader failed after the head was published: the body is incomplete; close your client connection.
        case aborted
        /// The leader's upstream call failed before a head: answer with the same error (or a stale entry that
        /// stale-if-error allows). Like `.released`, the first and only event, so nothing was written yet.
        case failed(UpstreamErrorKind)
    }

    /// Why a follower was told to fetch for itself; also a `Cache-Status` detail, log field and metric label.
    /// Why a follower fetches for itself after all.
    typealias ReleaseReason = FollowerRelease

    /// A follower's handle: `cancel()` when its client went away.
    struct Subscription: Sendable {
        fileprivate let fetch: CoalescedFetch
        fileprivate let id: Int

        /// No event is delivered to this follower after `cancel()` returns, when called on the follower's loop.
        func cancel() {
            self.fetch.cancel(subscriber: self.id)
        }
    }

    let key: String
    /// Largest body kept for late joiners (the store's max_object).
    let maxReplayBytes: Int
    /// The entry this fetch would store, as purge selectors read it, and the purge journal's number when the fetch
    /// was created: set once by the coalescer before anyone else sees the fetch (hence `nonisolated(unsafe)`).
    nonisolated(unsafe) var probe: PurgeProbe?
    nonisolated(unsafe) var journalMark = 0
    private let onRetire: @Sendable (CoalescedFetch) -> Void
    private let state: Mutex<State>

    init(key: String, maxReplayBytes: Int, onRetire: @escaping @Sendable (CoalescedFetch) -> Void) {
        self.key = key
        self.maxReplayBytes = maxReplayBytes
        self.onRetire = onRetire
        self.state = Mutex(State())
    }

    /// Whether followers are attached and not finished (the fetch must go on without its leader's client).
    var hasFollowers: Bool {
        self.state.withLock { state in !state.subscribers.isEmpty }
    }

    /// Whether a new request may still follow this fetch.
    var acceptsJoiners: Bool {
        self.state.withLock { $0.acceptsJoiners }
    }

    /// Followers still registered (waiting for the head, or streaming).
    var followerCount: Int {
        self.state.withLock { $0.subscribers.count }
    }

    // MARK: Leader side (on the leader's event loop, in order)

    /// Publishes the response head.
    ///
    /// - Parameters:
    ///   - vary: `VaryKey(varyFieldValues: headers["vary"], requestHeaders: leaderRequestHeaders)`; nil for `Vary: *`.
    ///   - shareable: false when the response may not be stored (and so not shared).
    /// When `shareable` is false or `vary` is nil, every follower is released with `.notStorable` and the fetch
    /// stops accepting joiners; otherwise each waiting follower whose `matches(vary)` is false is released with
    /// `.varyMismatch` and the others receive the head.
    func publishHead(status: Int, headers: HTTPHeaders, vary: VaryKey?, shareable: Bool) {
        var effects = Effects()
        self.state.withLock { state in
            guard state.outcome == .open, state.head == nil else { return }
            guard shareable, let vary else {
                state.outcome = .released(.notStorable)
                state.replay = nil
                for id in state.ids(where: { _ in true }) {
                    state.enqueue(.released(.notStorable), to: id, finishing: true, effects: &effects)
                }
                state.retire(&effects)
                return
            }
            state.head = Head(status: status, headers: headers)
            state.vary = vary
            for id in state.ids(where: { !$0.streaming && !$0.finished }) {
                if state.subscribers[id]!.matches(vary) {
                    state.startStreaming(id, effects: &effects)
                } else {
                    state.enqueue(.released(.varyMismatch), to: id, finishing: true, effects: &effects)
                }
            }
        }
        self.perform(effects)
    }

    /// Releases every follower with `reason` before any head, and stops accepting joiners (those that still join
    /// get the same release).
    func publishRelease(_ reason: ReleaseReason) {
        var effects = Effects()
        self.state.withLock { state in
            guard state.outcome == .open, state.head == nil else { return }
            state.outcome = .released(reason)
            state.replay = nil
            for id in state.ids(where: { !$0.finished }) {
                state.enqueue(.released(reason), to: id, finishing: true, effects: &effects)
            }
            state.retire(&effects)
        }
        self.perform(effects)
    }

    /// Publishes one body part to every streaming follower and keeps it for late joiners while the replay fits.
    func publishBody(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        var effects = Effects()
        self.state.withLock { state in
            guard state.outcome == .open, state.head != nil else { return }
            for id in state.ids(where: { $0.streaming && !$0.finished }) {
                state.enqueue(.body(buffer), to: id, finishing: false, effects: &effects)
            }
            guard state.replay != nil else { return }
            state.replayBytes += buffer.readableBytes
            if state.replayBytes > self.maxReplayBytes {
                // A late joiner could no longer get the whole body: stop accepting them, free the copy.
                state.replay = nil
                state.retire(&effects)
            } else {
                state.replay!.append(buffer)
            }
        }
        self.perform(effects)
    }

    /// Publishes the end of a complete response.
    func publishEnd() {
        var effects = Effects()
        self.state.withLock { state in
            guard state.outcome == .open else { return }
            guard state.head != nil else {
                // An end without a head is a leader bug; treat it as a failure so nobody waits forever.
                state.fail(nil, effects: &effects)
                return
            }
            state.outcome = .ended
            for id in state.ids(where: { $0.streaming && !$0.finished }) {
                state.enqueue(.end, to: id, finishing: true, effects: &effects)
            }
            state.retire(&effects)
        }
        self.perform(effects)
    }

    /// The leader's upstream failed with `error`, or the leader gave up (nil). Before the head, followers get
    /// `.failed(error)`, or are released with `.leaderFailed` to fetch for themselves when the leader gave up; after
    /// it, streaming followers get `.aborted`.
    func publishFailure(_ error: UpstreamErrorKind? = nil) {
        var effects = Effects()
        self.state.withLock { state in
            guard state.outcome == .open else { return }
            state.fail(error, effects: &effects)
        }
        self.perform(effects)
    }

    // MARK: Follower side

    /// Subscribes a follower.
    ///
    /// `sink` is always called on `eventLoop`, never inline from this call or from a publish call. `matches` tells
    /// whether the leader's response varies compatibly with this follower's request; it is called under the
    /// fetch's lock, so it must be pure and quick (`{ $0.matches(requestHeaders) }`). If no head arrives within
    /// `timeout`, the follower gets `.released(.timeout)`. Every follower ends with exactly one of `.end`,
    /// `.released`, `.aborted`, unless it cancels first.
    func subscribe(
        on eventLoop: EventLoop,
        timeout: TimeAmount,
        matches: @escaping (VaryKey) -> Bool,
        sink: @escaping (Event) -> Void
    ) -> Subscription {
        var effects = Effects()
        let (id, waitsForHead) = self.state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = Subscriber(eventLoop: eventLoop, matches: matches, sink: sink)
            switch state.outcome {
            case .failed:
                state.enqueue(.released(.leaderFailed), to: id, finishing: true, effects: &effects)
            case .released(let reason):
                state.enqueue(.released(reason), to: id, finishing: true, effects: &effects)
            case .open, .ended:
                guard state.head != nil else { return (id, true) }
                if state.replay == nil {
                    state.enqueue(.released(.tooLarge), to: id, finishing: true, effects: &effects)
                } else if !matches(state.vary) {
                    state.enqueue(.released(.varyMismatch), to: id, finishing: true, effects: &effects)
                } else {
                    state.startStreaming(id, effects: &effects)
                    for buffer in state.replay! {
                        state.enqueue(.body(buffer), to: id, finishing: false, effects: &effects)
                    }
                    if state.outcome == .ended {
                        state.enqueue(.end, to: id, finishing: true, effects: &effects)
                    }
                }
            }
            return (id, false)
        }
        if waitsForHead {
            let task = eventLoop.scheduleTask(in: timeout) { self.timeoutFired(subscriber: id) }
            let armed = self.state.withLock { state in
                guard let subscriber = state.subscribers[id], !subscriber.streaming, !subscriber.finished else {
                    return false
                }
                state.subscribers[id]!.timeout = task
                return true
            }
            if !armed { task.cancel() }
        }
        self.perform(effects)
        return Subscription(fetch: self, id: id)
    }

    private func timeoutFired(subscriber id: Int) {
        var effects = Effects()
        self.state.withLock { state in
            guard let subscriber = state.subscribers[id], !subscriber.streaming, !subscriber.finished else { return }
            state.enqueue(.released(.timeout), to: id, finishing: true, effects: &effects)
        }
        self.perform(effects)
    }

    fileprivate func cancel(subscriber id: Int) {
        let timeout = self.state.withLock { state in
            state.subscribers.removeValue(forKey: id)?.timeout
        }
        timeout?.cancel()
    }

    // MARK: Acting outside the lock

    private func perform(_ effects: Effects) {
        for task in effects.timeoutsToCancel {
            task.cancel()
        }
        for (eventLoop, id) in effects.drains {
            eventLoop.execute { self.drain(subscriber: id) }
        }
        if effects.retire {
            self.onRetire(self)
        }
    }

    /// Delivers a follower's queued events, one at a time, on its event loop. Taking one event per lock lets a
    /// `cancel()` made from inside the sink stop the rest.
    private func drain(subscriber id: Int) {
        while let (sink, event) = self.state.withLock({ $0.nextEvent(for: id) }) {
            sink(event)
        }
    }
}
