import HTTPCaching
import NIOCore
import NIOHTTP1
import Observability

extension CoalescedFetch {
    /// How the leader's fetch turned out so far.
    enum Outcome: Equatable {
        case open
        case ended
        case failed
        /// The response cannot be shared with anyone.
        case released(ReleaseReason)
    }

    struct Head {
        var status: Int
        var headers: HTTPHeaders
    }

    /// One follower. It stays registered until its terminal event has been handed to its sink (or it cancels).
    struct Subscriber {
        let eventLoop: EventLoop
        let matches: (VaryKey) -> Bool
        let sink: (Event) -> Void
        /// The head was queued for it: it receives body parts.
        var streaming = false
        /// Its terminal event (`.end`, `.released`, `.aborted`) is queued: nothing more is added.
        var finished = false
        /// Events not yet handed to the sink, in order.
        var outbox = CircularBuffer<Event>(initialCapacity: 4)
        /// A drain task is queued on `eventLoop`.
        var drainScheduled = false
        /// The wait for the head; cancelled once the head or a release is queued.
        var timeout: Scheduled<Void>?

        init(eventLoop: EventLoop, matches: @escaping (VaryKey) -> Bool, sink: @escaping (Event) -> Void) {
            self.eventLoop = eventLoop
            self.matches = matches
            self.sink = sink
        }

        mutating func push(_ event: Event, id: Int, finishing: Bool, effects: inout Effects) {
            guard !self.finished else { return }
            self.outbox.append(event)
            if finishing {
                self.finished = true
                self.stopWaiting(&effects)
            }
            if !self.drainScheduled {
                self.drainScheduled = true
                effects.drains.append((self.eventLoop, id))
            }
        }

        /// Cancels the wait for the head, if armed.
        mutating func stopWaiting(_ effects: inout Effects) {
            if let timeout = self.timeout {
                effects.timeoutsToCancel.append(timeout)
                self.timeout = nil
            }
        }

        /// Takes the first queued event; `isLast` when it is the terminal one. Clears `drainScheduled` when empty.
        mutating func pop() -> (sink: (Event) -> Void, event: Event, isLast: Bool)? {
            guard let event = self.outbox.popFirst() else {
                self.drainScheduled = false
                return nil
            }
            return (self.sink, event, self.finished && self.outbox.isEmpty)
        }
    }

    /// What to do once the lock is released.
    struct Effects {
        var drains: [(EventLoop, Int)] = []
        var timeoutsToCancel: [Scheduled<Void>] = []
        var retire = false
    }

    /// Everything mutable about a fetch; only touched under `CoalescedFetch.state`'s lock.
    struct State {
        var outcome = Outcome.open
        var head: Head?
        var vary = VaryKey.empty
        /// The body so far, for late joiners; nil once it outgrew `maxReplayBytes` (or cannot be shared).
        var replay: [ByteBuffer]? = []
        var replayBytes = 0
        /// The fetch asked its coalescer to forget it.
        var retired = false
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0

        var acceptsJoiners: Bool {
            self.outcome == .open && self.replay != nil
        }

        /// The followers that satisfy `predicate` (collected first, so the loop that follows mutates in place).
        func ids(where predicate: (Subscriber) -> Bool) -> [Int] {
            self.subscribers.compactMap { predicate($0.value) ? $0.key : nil }
        }

        /// Queues an event for one follower and schedules a drain on its loop if none is pending.
        mutating func enqueue(_ event: Event, to id: Int, finishing: Bool, effects: inout Effects) {
            // Mutated in place through the dictionary, so the outbox is never copied.
            self.subscribers[id]?.push(event, id: id, finishing: finishing, effects: &effects)
        }

        /// Queues the head for a follower and stops its wait.
        mutating func startStreaming(_ id: Int, effects: inout Effects) {
            guard let head = self.head else { return }
            self.subscribers[id]?.streaming = true
            self.enqueue(.head(status: head.status, headers: head.headers), to: id, finishing: false, effects: &effects)
            self.subscribers[id]?.stopWaiting(&effects)
        }

        /// Before the head every follower gets the upstream's `error` (or is released when the leader gave up, nil);
        /// after it every streaming follower is aborted.
        mutating func fail(_ error: UpstreamErrorKind?, effects: inout Effects) {
            self.outcome = .failed
            self.replay = nil
            let waiting: Event = error.map { .failed($0) } ?? .released(.leaderFailed)
            for id in self.ids(where: { !$0.finished }) {
                let event: Event = self.subscribers[id]!.streaming ? .aborted : waiting
                self.enqueue(event, to: id, finishing: true, effects: &effects)
            }
            self.retire(&effects)
        }

        /// Asks (once) for the fetch to be removed from its coalescer's map.
        mutating func retire(_ effects: inout Effects) {
            guard !self.retired else { return }
            self.retired = true
            effects.retire = true
        }

        /// The next event to hand to a follower's sink, or nil when its outbox is empty (the drain then ends).
        /// A follower whose terminal event is handed out is forgotten.
        mutating func nextEvent(for id: Int) -> ((Event) -> Void, Event)? {
            guard let next = self.subscribers[id]?.pop() else { return nil }
            if next.isLast {
                self.subscribers[id] = nil
            }
            return (next.sink, next.event)
        }
    }
}
