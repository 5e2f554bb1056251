/// The purge sequence an instance has caught up with: the number up to which it has applied every purge of the fleet.
///
/// Redis numbers the purges (`INCR`) and each instance announces its own over pub/sub, so two instances' announcements
/// can arrive in the other order (4 is taken before 5, but 5 is announced first). A number counts only once every lower
/// one has arrived: an instance that knows a sequence has all those purges in its journal, which is what lets a write
/// to L2 refused by a purge be retried at the new sequence (`RedisFleet+Tier`). A value type: `RedisFleet` keeps it
/// under its lock and acts on what it returns.
struct PurgeSequence: Equatable {
    /// Nil when the instance cannot prove it missed none (before it first caught up, or after Redis was lost).
    private(set) var known: Int?
    /// Numbers that arrived ahead of a missing lower one.
    private(set) var ahead: Set<Int> = []
    /// When the oldest of `ahead` arrived (seconds, monotonic); nil without a gap.
    private(set) var gapSince: Double?

    init(known: Int? = nil) {
        self.known = known
    }

    /// A purge numbered `number` reached this instance's tiers (its own, or another instance's announcement).
    mutating func arrived(_ number: Int, now: Double) {
        guard let known = self.known else {
            // Nothing to count from yet: the resync that follows every (re)connection sets the base.
            self.known = number
            return
        }
        guard number > known else { return }
        if number == known + 1 {
            self.known = number
            self.fillFromAhead()
        } else {
            self.ahead.insert(number)
            if self.gapSince == nil { self.gapSince = now }
        }
    }

    /// Redis said its sequence is `current`. Returns true when this instance may have missed purges (its own count
    /// differs, or it had none): the caller drops its local tiers.
    mutating func resynced(current: Int, now: Double) -> Bool {
        let missed = self.known.map { $0 != current } ?? true
        self.known = current
        // Numbers above Redis's were taken after it answered; their announcements may have come first.
        self.ahead = self.ahead.filter { $0 > current }
        self.gapSince = self.ahead.isEmpty ? nil : now
        self.fillFromAhead()
        return missed
    }

    /// Redis cannot be asked: the instance cannot prove anything any more.
    mutating func forget() {
        self = PurgeSequence()
    }

    /// Whether a gap has stayed open longer than `limit` seconds (an announcement that will never come: its sender
    /// failed to publish it, and replays the purge under a new number).
    func hasGap(olderThan limit: Double, now: Double) -> Bool {
        self.gapSince.map { now - $0 > limit } ?? false
    }

    private mutating func fillFromAhead() {
        while let known = self.known, self.ahead.remove(known + 1) != nil {
            self.known = known + 1
        }
        if self.ahead.isEmpty {
            self.gapSince = nil
        } else if let known = self.known {
            self.ahead = self.ahead.filter { $0 > known }
            if self.ahead.isEmpty { self.gapSince = nil }
        }
    }
}
