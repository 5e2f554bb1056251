import NIOCore
import Testing

@testable import ProxyCore

/// The connection's lifecycle, asserted through the actions the state machine returns for named event sequences.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine

    static let timeouts = Machine.Timeouts(header: .seconds(10), body: .seconds(30), keepAlive: .seconds(60), send: .seconds(20))

    /// Seconds on the machine's clock.
    static func at(_ seconds: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(seconds) * 1_000_000_000) }

    func fresh() -> Machine { Machine(timeouts: Self.timeouts, now: Self.at(0)) }

    @Test func aNewConnectionIdlesUntilItsFirstByteThenTheHeadHasItsDeadline() {
        var machine = self.fresh()
        #expect(machine.state == .idle(deadline: Self.at(60)))
        machine.bytesReceived(now: Self.at(9))
        #expect(machine.state == .readingHead(deadline: Self.at(19)))
        // More bytes do not restart it: a slow client cannot stretch it byte by byte.
        machine.bytesReceived(now: Self.at(15))
        #expect(machine.timerFired(now: Self.at(18)) == .none)
        #expect(machine.timerFired(now: Self.at(19)) == .timedOut(.header))
        #expect(machine.isClosing)
    }

    @Test func aNewConnectionThatSendsNothingIsClosedQuietlyAsAnIdleOne() {
        var machine = self.fresh()
        #expect(machine.timerFired(now: Self.at(59)) == .none)
        #expect(machine.timerFired(now: Self.at(60)) == .timedOut(.keepAlive))
    }

    @Test func aKeptAliveConnectionIdlesForKeepAliveThenItsNextHeadHasItsOwnDeadline() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        #expect(machine.parsingStarted() == true)
        #expect(machine.nextRequestMayStart() == .start)
        machine.headReceived(keepAlive: true, hasBody: false, now: Self.at(1))
        #expect(machine.state == .waitingOnUpstream)
        #expect(machine.nextDeadline == nil)  // the upstream's read_timeout bounds this wait, not a client deadline
        machine.responseStarted()
        #expect(machine.state == .writingResponse)
        #expect(machine.responseEnded(now: Self.at(2), buffered: false) == .none)  // inside the parse loop
        #expect(machine.parsingEnded(waiting: false) == .none)
        #expect(machine.state == .idle(deadline: Self.at(62)))
        // The next request's first byte starts its header deadline.
        machine.bytesReceived(now: Self.at(50))
        #expect(machine.state == .readingHead(deadline: Self.at(60)))
    }

    @Test func idleKeepAliveTimesOut() {
        var machine = self.fresh()
        self.answerOne(&machine, at: 1)
        #expect(machine.timerFired(now: Self.at(60)) == .none)
        #expect(machine.timerFired(now: Self.at(61)) == .timedOut(.keepAlive))
    }

    @Test func pipeliningHoldsTheNextRequestAndReadsUntilTheResponseEnds() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        #expect(machine.parsingStarted() == true)
        #expect(machine.nextRequestMayStart() == .start)
        machine.headReceived(keepAlive: true, hasBody: false, now: Self.at(1))
        // A second head is buffered behind the first request, whose response has not ended.
        #expect(machine.nextRequestMayStart() == .wait)
        #expect(machine.parsingEnded(waiting: true) == .none)
        #expect(machine.readRequested() == false)  // held
        machine.responseStarted()
        // Outside the parse loop, the end of the response asks for the buffered request to be parsed.
        #expect(machine.responseEnded(now: Self.at(2), buffered: true) == .parse)
        #expect(machine.state == .readingHead(deadline: Self.at(12)))
        #expect(machine.parsingStarted() == true)
        #expect(machine.nextRequestMayStart() == .start)
        machine.headReceived(keepAlive: true, hasBody: false, now: Self.at(2))
        // The waiting request started: the held read goes out.
        #expect(machine.parsingEnded(waiting: false) == .read)
        #expect(machine.readRequested() == true)
    }

    @Test func aRequestAfterConnectionCloseIsNotRead() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        #expect(machine.parsingStarted() == true)
        #expect(machine.nextRequestMayStart() == .start)
        machine.headReceived(keepAlive: false, hasBody: false, now: Self.at(1))
        machine.responseStarted()
        // The response ends inside the parse loop (a hit): the connection closes, and what follows is dropped.
        #expect(machine.responseEnded(now: Self.at(1), buffered: true) == .close)
        #expect(machine.isClosing)
        #expect(machine.nextRequestMayStart() == .discard)
        #expect(machine.readRequested() == false)
    }

    @Test func aBodyThatStallsTimesOutBeforeTheResponse() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        machine.headReceived(keepAlive: true, hasBody: true, now: Self.at(1))
        #expect(machine.state == .readingBody(deadline: Self.at(31), response: .notStarted))
        machine.bodyReceived(now: Self.at(20))
        #expect(machine.timerFired(now: Self.at(31)) == .none)
        #expect(machine.timerFired(now: Self.at(50)) == .timedOut(.body(responseStarted: false)))
    }

    @Test func aBodyThatStallsAfterTheResponseBeganIsCut() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        machine.headReceived(keepAlive: true, hasBody: true, now: Self.at(1))
        machine.responseStarted()
        #expect(machine.state == .readingBody(deadline: Self.at(31), response: .started))
        #expect(machine.timerFired(now: Self.at(31)) == .timedOut(.body(responseStarted: true)))
    }

    @Test func theBodyDeadlineWaitsWhileTheUpstreamIsBehind() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        machine.headReceived(keepAlive: true, hasBody: true, now: Self.at(1))
        #expect(machine.upstreamBackpressure(paused: true, now: Self.at(5)) == .none)
        #expect(machine.state == .readingBody(deadline: nil, response: .notStarted))
        #expect(machine.readRequested() == false)
        #expect(machine.timerFired(now: Self.at(100)) == .none)
        // Reading resumes: the held read goes out and the client has a whole body timeout again.
        #expect(machine.upstreamBackpressure(paused: false, now: Self.at(100)) == .read)
        #expect(machine.state == .readingBody(deadline: Self.at(130), response: .notStarted))
    }

    @Test func aClientThatLeavesMidBodyClosesTheConnection() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        machine.headReceived(keepAlive: true, hasBody: true, now: Self.at(1))
        machine.closing()
        #expect(machine.isClosing)
        #expect(machine.nextDeadline == nil)
        #expect(machine.timerFired(now: Self.at(1000)) == .none)
        #expect(machine.readRequested() == false)
    }

    @Test func anEarlyResponseLetsTheBodyFinishThenTheConnectionIsIdle() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        #expect(machine.parsingStarted() == true)
        machine.headReceived(keepAlive: true, hasBody: true, now: Self.at(1))
        #expect(machine.parsingEnded(waiting: false) == .none)
        machine.responseStarted()
        #expect(machine.responseEnded(now: Self.at(2), buffered: false) == .none)
        #expect(machine.state == .readingBody(deadline: Self.at(31), response: .ended))
        // The rest of the body is read and dropped, then the connection is ready for the next request.
        #expect(machine.requestEnded(now: Self.at(3), buffered: false) == .parse)
        #expect(machine.state == .idle(deadline: Self.at(63)))
    }

    @Test func aClientThatStopsReadingIsCutAfterTheSendTimeout() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        machine.headReceived(keepAlive: true, hasBody: false, now: Self.at(1))
        machine.responseStarted()
        machine.writabilityChanged(writable: false, now: Self.at(2))
        #expect(machine.nextDeadline == Self.at(22))
        // Writable again in time: no deadline.
        machine.writabilityChanged(writable: true, now: Self.at(10))
        #expect(machine.nextDeadline == nil)
        machine.writabilityChanged(writable: false, now: Self.at(11))
        #expect(machine.timerFired(now: Self.at(30)) == .none)
        #expect(machine.timerFired(now: Self.at(31)) == .timedOut(.send))
    }

    @Test func aWriteThatWaitsOnAWritableChannelStillHasASendDeadline() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        machine.headReceived(keepAlive: true, hasBody: false, now: Self.at(1))
        machine.responseStarted()
        machine.writabilityChanged(writable: false, now: Self.at(2))
        machine.writeWaitStarted(now: Self.at(2))
        // The channel drops below its low watermark, but the waited-for write has not reached the socket.
        machine.writabilityChanged(writable: true, now: Self.at(3))
        #expect(machine.nextDeadline == Self.at(22))
        // Progress moves the deadline on; with nothing left waiting it is gone.
        machine.writeWaitEnded(now: Self.at(10))
        #expect(machine.nextDeadline == nil)
        machine.writeWaitStarted(now: Self.at(11))
        #expect(machine.timerFired(now: Self.at(31)) == .timedOut(.send))
    }

    @Test func theSendDeadlineStillRunsWhileACutFlushes() {
        var machine = self.fresh()
        machine.bytesReceived(now: Self.at(1))
        machine.headReceived(keepAlive: true, hasBody: false, now: Self.at(1))
        machine.responseStarted()
        machine.writabilityChanged(writable: false, now: Self.at(2))
        machine.closing()
        #expect(machine.timerFired(now: Self.at(22)) == .timedOut(.send))
        // Once: nothing runs afterwards.
        #expect(machine.nextDeadline == nil)
        #expect(machine.timerFired(now: Self.at(100)) == .none)
    }

    @Test func theTimerNeverSleepsLongerThanTheShortestTimeout() {
        #expect(Self.timeouts.shortest == .seconds(10))
    }

    /// One request without a body, answered and ended inside the parse loop, at `second`.
    private func answerOne(_ machine: inout Machine, at second: Int64) {
        machine.bytesReceived(now: Self.at(second))
        #expect(machine.parsingStarted() == true)
        #expect(machine.nextRequestMayStart() == .start)
        machine.headReceived(keepAlive: true, hasBody: false, now: Self.at(second))
        machine.responseStarted()
        #expect(machine.responseEnded(now: Self.at(second), buffered: false) == .none)
        #expect(machine.parsingEnded(waiting: false) == .none)
    }
}
