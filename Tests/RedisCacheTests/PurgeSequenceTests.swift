import Testing

@testable import RedisCache

/// The purge sequence counts a number only once every lower one arrived: two instances' announcements may arrive in
/// the other order, and an instance that knows a sequence must hold every purge up to it in its journal.
@Suite struct PurgeSequenceTests {
    enum Step: Sendable {
        case arrived(Int, at: Double)
        case resynced(current: Int, missed: Bool, at: Double = 0)
        case forget
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let start: Int?
        let steps: [Step]
        let known: Int?
        let ahead: Set<Int>
        /// Whether a gap is older than 5 s at t = 10.
        let stuck: Bool
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "in order", start: 3, steps: [.arrived(4, at: 1), .arrived(5, at: 1)], known: 5, ahead: [], stuck: false),
        Case(name: "a repeat or an old number changes nothing", start: 5, steps: [.arrived(5, at: 1), .arrived(2, at: 1)], known: 5, ahead: [], stuck: false),
        Case(name: "ahead of a missing one waits for it", start: 3, steps: [.arrived(5, at: 1)], known: 3, ahead: [5], stuck: true),
        Case(name: "the missing one arrives: both count", start: 3, steps: [.arrived(5, at: 1), .arrived(4, at: 2)], known: 5, ahead: [], stuck: false),
        Case(
            name: "two gaps fill in any order",
            start: 3,
            steps: [.arrived(7, at: 1), .arrived(5, at: 1), .arrived(4, at: 2), .arrived(6, at: 3)],
            known: 7,
            ahead: [],
            stuck: false
        ),
        Case(name: "a gap opened late is not stuck yet", start: 3, steps: [.arrived(5, at: 6)], known: 3, ahead: [5], stuck: false),
        Case(name: "without a base, the first number is taken", start: nil, steps: [.arrived(9, at: 1)], known: 9, ahead: [], stuck: false),
        Case(
            name: "a resync at Redis's sequence closes the gap",
            start: 3,
            steps: [.arrived(6, at: 1), .resynced(current: 6, missed: true)],
            known: 6,
            ahead: [],
            stuck: false
        ),
        Case(
            name: "a resync below numbers that came ahead keeps them",
            start: 3,
            steps: [.arrived(6, at: 1), .resynced(current: 4, missed: true, at: 2)],
            known: 4,
            ahead: [6],
            stuck: true
        ),
        Case(
            name: "a resync that agrees missed nothing",
            start: 4,
            steps: [.resynced(current: 4, missed: false)],
            known: 4,
            ahead: [],
            stuck: false
        ),
        Case(name: "Redis went back (restarted empty)", start: 9, steps: [.resynced(current: 0, missed: true)], known: 0, ahead: [], stuck: false),
        Case(name: "forgotten: nothing can be proved", start: 3, steps: [.arrived(5, at: 1), .forget], known: nil, ahead: [], stuck: false),
    ]

    @Test(arguments: Self.cases)
    func sequence(_ c: Case) {
        var sequence = PurgeSequence(known: c.start)
        for step in c.steps {
            switch step {
            case .arrived(let number, let time): sequence.arrived(number, now: time)
            case .resynced(let current, let missed, let time): #expect(sequence.resynced(current: current, now: time) == missed)
            case .forget: sequence.forget()
            }
        }
        #expect(sequence.known == c.known)
        #expect(sequence.ahead == c.ahead)
        #expect(sequence.hasGap(olderThan: 5, now: 10) == c.stuck)
    }
}
