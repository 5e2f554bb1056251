import NIOCore
import RedisCache
import Testing

@testable import ProxyCore

/// The cross-instance single flight as a value: named sequences of events and the action each returns.
@Suite struct FleetFlightTests {
    enum Event: CustomStringConvertible {
        case claim(FleetFlight.ClaimReply)
        case heard(FlightLeases.Outcome)
        case leaseTimer(attempt: Int)
        case l2(found: Bool)
        case deadline
        case redisLost

        var description: String {
            switch self {
            case .claim(let reply): return "claim \(reply)"
            case .heard(let outcome): return "heard \(outcome)"
            case .leaseTimer(let attempt): return "lease timer \(attempt)"
            case .l2(let found): return "l2 found=\(found)"
            case .deadline: return "deadline"
            case .redisLost: return "redis lost"
            }
        }
    }

    struct Case: CustomStringConvertible, Sendable {
        let name: String
        let steps: [(Event, FleetFlight.Action)]
        var description: String { self.name }
    }

    static let held = FleetFlight.ClaimReply.held(remaining: .milliseconds(300))

    static let cases: [Case] = [
        Case(name: "the lease is free: lead", steps: [(.claim(.won), .lead(takeover: false))]),
        Case(name: "L2 already has it: answer from it", steps: [(.claim(.entry), .useEntry)]),
        Case(name: "Redis unavailable: coalesce locally", steps: [(.claim(.unavailable), .goAlone(.fallback))]),
        Case(
            name: "held, then stored: read L2 and answer",
            steps: [
                (.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 0)),
                (.heard(.stored), .readL2),
                (.l2(found: true), .useEntry),
            ]
        ),
        Case(
            name: "a release heard while the claim was on its way is kept",
            steps: [(.heard(.stored), .none), (.claim(held), .readL2), (.l2(found: true), .useEntry)]
        ),
        Case(
            name: "stored but gone from L2: claim again",
            steps: [(.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 0)), (.heard(.stored), .readL2), (.l2(found: false), .claim)]
        ),
        Case(
            name: "the holder cannot share its response: go alone",
            steps: [(.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 0)), (.heard(.pass), .goAlone(.pass))]
        ),
        Case(
            name: "the holder failed: take over",
            steps: [
                (.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 0)),
                (.heard(.failed), .claim),
                (.claim(.won), .lead(takeover: true)),
            ]
        ),
        Case(
            name: "the holder died: take over when its lease runs out",
            steps: [
                (.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 0)),
                (.leaseTimer(attempt: 0), .claim),
                (.claim(.won), .lead(takeover: true)),
            ]
        ),
        Case(
            name: "another waiter took over first: wait for it",
            steps: [
                (.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 0)),
                (.heard(.failed), .claim),
                (.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 1)),
                (.leaseTimer(attempt: 0), .none),
                (.heard(.stored), .readL2),
                (.l2(found: true), .useEntry),
            ]
        ),
        Case(
            name: "the holder renewed: a stale lease timer is ignored",
            steps: [
                (.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 0)),
                (.leaseTimer(attempt: 0), .claim),
                (.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 1)),
                (.leaseTimer(attempt: 0), .none),
            ]
        ),
        Case(
            name: "nobody waits past coalesce_timeout",
            steps: [(.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 0)), (.deadline, .goAlone(.timeout)), (.heard(.stored), .none)]
        ),
        Case(
            name: "deadline while claiming; a lease won afterwards is let go",
            steps: [(.deadline, .goAlone(.timeout)), (.claim(.won), .releaseUnused)]
        ),
        Case(
            name: "Redis lost while waiting: coalesce locally at once",
            steps: [(.claim(held), .wait(leaseLeft: .milliseconds(300), attempt: 0)), (.redisLost, .goAlone(.fallback)), (.deadline, .none)]
        ),
    ]

    @Test(arguments: Self.cases)
    func sequence(_ testCase: Case) {
        var flight = FleetFlight()
        #expect(flight.start() == .claim)
        for (index, (event, expected)) in testCase.steps.enumerated() {
            let action: FleetFlight.Action
            switch event {
            case .claim(let reply): action = flight.claimReplied(reply)
            case .heard(let outcome): action = flight.heard(outcome)
            case .leaseTimer(let attempt): action = flight.leaseTimerFired(attempt: attempt)
            case .l2(let found): action = flight.l2Read(found: found)
            case .deadline: action = flight.deadlinePassed()
            case .redisLost: action = flight.redisLost()
            }
            #expect(action == expected, "step \(index): \(event)")
        }
    }

    @Test func startsOnce() {
        var flight = FleetFlight()
        #expect(flight.start() == .claim)
        #expect(flight.start() == .none)
    }
}
