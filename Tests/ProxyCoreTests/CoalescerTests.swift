import HTTPCaching
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Testing

@testable import ProxyCore

/// The coalescer and its fetches, driven by hand: the leader's publish calls are made by the test, followers'
/// events are collected on an `EmbeddedEventLoop` (run with `run()`, timeouts with `advanceTime`), and one case
/// crosses two real event loops.
@Suite struct CoalescerTests {
    typealias Event = CoalescedFetch.Event

    static let key = "GET /v1/voices p"
    static let headers: HTTPHeaders = ["content-type": "application/json", "vary": "accept-language"]

    /// Collects one follower's events (only touched on the embedded loop, i.e. the test's thread).
    final class Recorder {
        var events: [Event] = []
    }

    func part(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text)
    }

    func head(_ status: Int = 200) -> Event {
        .head(status: status, headers: Self.headers)
    }

    /// A leader fetch on a fresh coalescer.
    func leader(_ coalescer: Coalescer, maxReplayBytes: Int = 1 << 20, now: Double = 0) -> CoalescedFetch {
        guard case .leader(let fetch) = coalescer.join(key: Self.key, now: now, maxReplayBytes: maxReplayBytes) else {
            Issue.record("the first join should lead")
            return CoalescedFetch(key: Self.key, maxReplayBytes: 0) { _ in }
        }
        return fetch
    }

    /// Joins as a follower and subscribes on `loop`; `matches` defaults to always compatible.
    @discardableResult
    func follow(
        _ coalescer: Coalescer,
        on loop: EventLoop,
        into recorder: Recorder,
        timeout: TimeAmount = .seconds(5),
        matches: @escaping (VaryKey) -> Bool = { _ in true }
    ) -> CoalescedFetch.Subscription? {
        guard case .follower(let fetch) = coalescer.join(key: Self.key, now: 0, maxReplayBytes: 1 << 20) else {
            Issue.record("expected to follow")
            return nil
        }
        return fetch.subscribe(on: loop, timeout: timeout, matches: matches) { recorder.events.append($0) }
    }

    func publishHead(_ fetch: CoalescedFetch, vary: VaryKey? = .empty, shareable: Bool = true) {
        fetch.publishHead(status: 200, headers: Self.headers, vary: vary, shareable: shareable)
    }

    // MARK: Streaming

    @Test func leaderThenTwoFollowersGetHeadBodyEndInOrder() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let (a, b) = (Recorder(), Recorder())
        self.follow(coalescer, on: loop, into: a)
        self.follow(coalescer, on: loop, into: b)
        #expect(coalescer.inFlightCount == 1)

        self.publishHead(fetch)
        loop.run()
        #expect(a.events == [self.head()], "the head is delivered before the body exists")
        fetch.publishBody(self.part("one"))
        fetch.publishBody(self.part("two"))
        fetch.publishEnd()
        loop.run()

        let expected: [Event] = [self.head(), .body(self.part("one")), .body(self.part("two")), .end]
        #expect(a.events == expected)
        #expect(b.events == expected)
        #expect(coalescer.inFlightCount == 0, "the end forgets the key")
        guard case .leader = coalescer.join(key: Self.key, now: 0, maxReplayBytes: 1 << 20) else {
            Issue.record("a miss after the end should lead a new fetch")
            return
        }
    }

    @Test func lateJoinerGetsTheReplayThenLiveParts() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        self.publishHead(fetch)
        fetch.publishBody(self.part("one"))
        fetch.publishBody(self.part("two"))

        let late = Recorder()
        self.follow(coalescer, on: loop, into: late)
        fetch.publishBody(self.part("three"))
        fetch.publishEnd()
        loop.run()

        #expect(
            late.events == [
                self.head(), .body(self.part("one")), .body(self.part("two")), .body(self.part("three")), .end,
            ]
        )
    }

    @Test func eventsCrossingEventLoopsArriveInOrder() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let leaderLoop = group.next()
        let followerLoop = group.next()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let parts = (0..<200).map { "part-\($0)" }

        // The follower subscribes while the leader is already publishing on the other loop.
        let published = leaderLoop.submit {
            self.publishHead(fetch)
            for text in parts { fetch.publishBody(self.part(text)) }
            fetch.publishEnd()
        }
        let done = followerLoop.makePromise(of: [Event].self)
        let collected = NIOLockedValueBox<[Event]>([])
        _ = fetch.subscribe(on: followerLoop, timeout: .seconds(30), matches: { _ in true }) { event in
            followerLoop.preconditionInEventLoop()
            let events = collected.withLockedValue { $0.append(event); return $0 }
            switch event {
            case .end, .aborted, .released, .failed: done.succeed(events)
            case .head, .body: break
            }
        }
        try published.wait()
        let events = try done.futureResult.wait()

        if case .released(let reason) = events.first {
            Issue.record("released (\(reason)): the replay should have covered the whole body")
        }
        #expect(events == [self.head()] + parts.map { .body(self.part($0)) } + [.end])
    }

    // MARK: Releases

    @Test(arguments: [(shareable: false, vary: VaryKey?.some(.empty)), (shareable: true, vary: nil)])
    func nonShareableHeadReleasesEveryFollowerAndTheNextJoinLeads(shareable: Bool, vary: VaryKey?) throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let (a, b) = (Recorder(), Recorder())
        self.follow(coalescer, on: loop, into: a)
        self.follow(coalescer, on: loop, into: b)

        fetch.publishHead(status: 200, headers: Self.headers, vary: vary, shareable: shareable)
        fetch.publishBody(self.part("ignored"))
        fetch.publishEnd()
        loop.run()

        #expect(a.events == [.released(.notStorable)])
        #expect(b.events == [.released(.notStorable)])
        #expect(coalescer.inFlightCount == 0)
        guard case .leader = coalescer.join(key: Self.key, now: 0, maxReplayBytes: 1 << 20) else {
            Issue.record("a miss after a non-shareable head should lead a new fetch")
            return
        }
    }

    @Test func varyMismatchReleasesOnlyTheMismatchingFollower() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let leaderRequest: HTTPHeaders = ["accept-language": "en"]
        let vary = try #require(VaryKey(varyFieldValues: ["accept-language"], requestHeaders: leaderRequest))
        let (english, french, lateFrench) = (Recorder(), Recorder(), Recorder())
        self.follow(coalescer, on: loop, into: english) { $0.matches(["accept-language": "en"] as HTTPHeaders) }
        self.follow(coalescer, on: loop, into: french) { $0.matches(["accept-language": "fr"] as HTTPHeaders) }

        self.publishHead(fetch, vary: vary)
        self.follow(coalescer, on: loop, into: lateFrench) { $0.matches(["accept-language": "fr"] as HTTPHeaders) }
        fetch.publishBody(self.part("hello"))
        fetch.publishEnd()
        loop.run()

        #expect(english.events == [self.head(), .body(self.part("hello")), .end])
        #expect(french.events == [.released(.varyMismatch)])
        #expect(lateFrench.events == [.released(.varyMismatch)])
    }

    @Test func leaderFailureBeforeTheHeadReleasesFollowers() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let follower = Recorder()
        self.follow(coalescer, on: loop, into: follower)

        fetch.publishFailure()
        loop.run()

        #expect(follower.events == [.released(.leaderFailed)])
        #expect(coalescer.inFlightCount == 0)
    }

    @Test func anUpstreamErrorBeforeTheHeadReachesFollowersAsIs() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let first = Recorder()
        let second = Recorder()
        self.follow(coalescer, on: loop, into: first)
        self.follow(coalescer, on: loop, into: second)

        fetch.publishFailure(.protocol)
        fetch.publishFailure(.timeout)  // ignored: the fetch already failed
        loop.run()

        #expect(first.events == [.failed(.protocol)])
        #expect(second.events == [.failed(.protocol)])
        #expect(coalescer.inFlightCount == 0)
    }

    @Test func anUpstreamErrorAfterTheHeadAbortsFollowers() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let follower = Recorder()
        self.follow(coalescer, on: loop, into: follower)

        self.publishHead(fetch)
        fetch.publishBody(self.part("half"))
        fetch.publishFailure(.truncated)
        loop.run()

        #expect(follower.events == [self.head(), .body(self.part("half")), .aborted])
    }

    @Test func leaderFailureAfterTheHeadAbortsFollowers() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let follower = Recorder()
        self.follow(coalescer, on: loop, into: follower)

        self.publishHead(fetch)
        fetch.publishBody(self.part("half"))
        fetch.publishFailure()
        fetch.publishEnd()  // ignored: the fetch already failed
        loop.run()

        #expect(follower.events == [self.head(), .body(self.part("half")), .aborted])
        #expect(coalescer.inFlightCount == 0)
    }

    @Test func noHeadWithinTheTimeoutReleasesTheFollower() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let (waiting, served) = (Recorder(), Recorder())
        self.follow(coalescer, on: loop, into: waiting, timeout: .seconds(2))

        loop.advanceTime(by: .milliseconds(1999))
        #expect(waiting.events.isEmpty)
        loop.advanceTime(by: .milliseconds(1))
        #expect(waiting.events == [.released(.timeout)])

        // A follower whose head arrives in time is not released when its timer would have fired.
        self.follow(coalescer, on: loop, into: served, timeout: .seconds(2))
        self.publishHead(fetch)
        loop.run()
        loop.advanceTime(by: .seconds(3))
        fetch.publishEnd()
        loop.run()
        #expect(served.events == [self.head(), .end])
        #expect(waiting.events == [.released(.timeout)], "nothing after the release")
    }

    @Test func aCancelledSubscriptionGetsNothingMore() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer)
        let (gone, stays) = (Recorder(), Recorder())
        let subscription = try #require(self.follow(coalescer, on: loop, into: gone, timeout: .seconds(1)))
        self.follow(coalescer, on: loop, into: stays)

        self.publishHead(fetch)
        fetch.publishBody(self.part("queued"))
        subscription.cancel()  // before the loop delivered anything queued
        loop.run()
        fetch.publishBody(self.part("live"))
        fetch.publishEnd()
        loop.advanceTime(by: .seconds(2))

        #expect(gone.events.isEmpty)
        #expect(stays.events == [self.head(), .body(self.part("queued")), .body(self.part("live")), .end])
    }

    // MARK: Bounds

    @Test func aBodyPastMaxReplayBytesKeepsStreamingButTakesNoNewJoiners() throws {
        let loop = EmbeddedEventLoop()
        let coalescer = Coalescer()
        let fetch = self.leader(coalescer, maxReplayBytes: 8)
        let (attached, late) = (Recorder(), Recorder())
        self.follow(coalescer, on: loop, into: attached)
        self.publishHead(fetch)
        fetch.publishBody(self.part("12345"))
        fetch.publishBody(self.part("678"))  // 8 bytes: still replayable
        #expect(coalescer.inFlightCount == 1)
        fetch.publishBody(self.part("9"))  // 9 bytes: past the limit

        #expect(coalescer.inFlightCount == 0)
        #expect(!fetch.acceptsJoiners)
        guard case .leader = coalescer.join(key: Self.key, now: 0, maxReplayBytes: 8) else {
            Issue.record("a miss after the replay was dropped should lead a new fetch")
            return
        }
        // A request that got the old fetch just before it stopped accepting joiners is released, not half-served.
        _ = fetch.subscribe(on: loop, timeout: .seconds(1), matches: { _ in true }) { late.events.append($0) }
        fetch.publishBody(self.part("0"))
        fetch.publishEnd()
        loop.run()

        let body = ["12345", "678", "9", "0"].map { Event.body(self.part($0)) }
        #expect(attached.events == [self.head()] + body + [.end])
        #expect(late.events == [.released(.tooLarge)])
    }

    @Test func hitForPassSendsRequestsAloneUntilTheWindowPasses() throws {
        let coalescer = Coalescer(hitForPass: 10)
        let fetch = self.leader(coalescer, now: 100)
        coalescer.markUncacheable(key: Self.key, now: 100)
        self.publishHead(fetch, shareable: false)

        for now in [100.0, 105, 109.9] {
            guard case .alone = coalescer.join(key: Self.key, now: now, maxReplayBytes: 1 << 20) else {
                Issue.record("expected .alone at \(now)")
                continue
            }
        }
        #expect(coalescer.inFlightCount == 0)
        guard case .leader = coalescer.join(key: Self.key, now: 110, maxReplayBytes: 1 << 20) else {
            Issue.record("the window passed: the miss should lead again")
            return
        }
        guard case .leader = coalescer.join(key: "GET /other p", now: 105, maxReplayBytes: 1 << 20) else {
            Issue.record("other keys are not affected")
            return
        }
    }
}
