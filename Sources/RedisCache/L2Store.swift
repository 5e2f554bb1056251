import CacheStore
import NIOConcurrencyHelpers
import NIOCore
import RESP
import RedisClient

/// The shared second tier (L2) in Redis: entries written by any instance, read by every instance.
///
/// Consistency with purges rests on the purge sequence number (`<p>seq`): a purge increments it *before* it deletes
/// anything, and an entry is written only if no purge numbered after the sequence the writing instance knew when its
/// upstream fetch began can select it (checked atomically in a Lua script). A response fetched before a write can
/// therefore never land in L2 after that write's purge, whichever instance fetched it.
///
/// The sequence moves with every purge in the fleet, and most are narrow: each Kling task submission invalidates its
/// own URI (RFC 9111 §4.4). So each purge is also logged with the one path it can reach (`<p>purges`, the last
/// `purgeLogLength`); when the sequence moved during a fetch, the write still lands if the log holds every purge
/// since and none is broad or names the entry's path. Anything the log cannot prove refuses the write, as before.
public final class L2Store: Sendable {
    let redis: RedisConnection
    let keys: RedisKeys
    /// Larger bodies stay in L1 only.
    public let maxObject: Int
    /// Marked when a read fails (Redis down or slow), so that the request does not wait on Redis again.
    public let failures: RecentFailure

    public init(redis: RedisConnection, keys: RedisKeys, maxObject: Int, failures: RecentFailure = RecentFailure()) {
        self.redis = redis
        self.keys = keys
        self.maxObject = maxObject
        self.failures = failures
    }

    /// The event loop the store's futures complete on.
    public var redisEventLoop: EventLoop { self.redis.eventLoop }

    // MARK: - Reads

    /// The entry stored under `key`, or nil (absent, unreadable, or Redis unavailable: a miss, never an error).
    public func get(key: String) -> EventLoopFuture<(entry: CachedResponse, traits: EntryTraits)?> {
        let promise = self.redis.eventLoop.makePromise(of: (entry: CachedResponse, traits: EntryTraits)?.self)
        self.get(key: key) { promise.succeed($0) }
        return promise.futureResult
    }

    /// `get(key:)` with the answer given to `answer` on the store's event loop: no future of its own (an L2 hit
    /// had made seven, and each one's allocation and generic teardown showed in its profile; issue 18).
    public func get(key: String, _ answer: @escaping @Sendable ((entry: CachedResponse, traits: EntryTraits)?) -> Void) {
        self.redis.send(.command("GET", self.keys.entry(key))).whenComplete { result in
            switch result {
            case .success(let reply):
                answer(reply.bytes.flatMap(EntryCodec.decode))
            case .failure:
                self.failures.mark()
                answer(nil)
            }
        }
    }

    // MARK: - Writes

    public enum PutResult: Sendable, Equatable {
        case stored
        /// A purge ran since the fetch began (or the instance's sequence was behind): not written. Carries the
        /// sequence Redis has now.
        case purgedMeanwhile(current: Int)
        case tooLarge
        /// Redis refused or was unreachable.
        case failed
    }

    /// Writes `entry` with a PX expiry of its freshness plus its stale windows (its `evictAt`), and indexes it by
    /// path and tags, if the purge sequence is still `sequence`.
    public func put(_ entry: CachedResponse, traits: EntryTraits = EntryTraits(), sequence: Int, now: Double) -> EventLoopFuture<PutResult> {
        guard entry.bodyLength <= self.maxObject else { return self.redis.eventLoop.makeSucceededFuture(.tooLarge) }
        let px = Int(((entry.evictAt - now) * 1000).rounded(.up))
        guard px > 0 else { return self.redis.eventLoop.makeSucceededFuture(.stored) }
        let member = RedisKeys.member(partition: entry.partition, target: entry.target, key: entry.key)
        var keys = [self.keys.sequence, self.keys.purgeLog, self.keys.entry(entry.key), self.keys.paths, self.keys.pathSet(entry.path)]
        keys += entry.tags.map(self.keys.tagSet)
        let path = entry.path
        if !entry.keyID.isEmpty { keys.append(self.keys.keySet(entry.keyID)) }
        var command: [ByteBuffer] = .command(["EVAL", Self.putScript, String(keys.count)] + keys)
        command.append(ByteBuffer(string: String(sequence)))
        command.append(EntryCodec.encode(entry, traits: traits))
        command += .command(String(px), member, path)
        return self.redis.send(command).map { reply -> PutResult in
            guard let fields = reply.array, fields.count == 2, let written = fields[0].int else { return .failed }
            return written == 1 ? .stored : .purgedMeanwhile(current: fields[1].int ?? 0)
        }.recover { _ in .failed }
    }

    /// KEYS: sequence, purge log, entry, paths, path set, tag sets… ARGV: expected sequence, value, px, member, path.
    /// When the sequence moved, the log must hold one number or more for each purge since (`count`), none of them
    /// broad ("*") or for this path.
    static let putScript = """
        local current = redis.call('GET', KEYS[1]) or '0'
        if current ~= ARGV[1] then
          local expected, now = tonumber(ARGV[1]), tonumber(current)
          if expected == nil or now == nil or now < expected then return {0, current} end
          local seen, count = {}, 0
          for _, logged in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], current)) do
            local space = string.find(logged, ' ', 1, true)
            if not space then return {0, current} end
            local number, path = string.sub(logged, 1, space - 1), string.sub(logged, space + 1)
            if path == '*' or path == ARGV[5] then return {0, current} end
            if not seen[number] then seen[number] = true; count = count + 1 end
          end
          if count ~= now - expected then return {0, current} end
        end
        local px = tonumber(ARGV[3])
        redis.call('SET', KEYS[3], ARGV[2], 'PX', px)
        redis.call('ZADD', KEYS[4], 0, ARGV[5])
        for i = 5, #KEYS do redis.call('SADD', KEYS[i], ARGV[4]) end
        for i = 4, #KEYS do
          if redis.call('PTTL', KEYS[i]) < px then redis.call('PEXPIRE', KEYS[i], px) end
        end
        return {1, current}
        """

    /// Purges the log keeps (enough for every fetch under way to be proven clear of them; an older fetch's write
    /// is refused).
    static let purgeLogLength = 4096

    /// KEYS: sequence, purge log. ARGV: log length, then what each purge can reach (a path, or "*").
    static let numberScript = """
        local number = redis.call('INCR', KEYS[1])
        for i = 2, #ARGV do redis.call('ZADD', KEYS[2], number, number .. ' ' .. ARGV[i]) end
        local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[1])
        if excess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1) end
        return number
        """

    /// What a purge can reach in the log: the one path of an exact target or a path, else "*".
    static func logged(_ purge: Purge) -> String {
        switch purge.selector {
        case .target(let target): return Purge.pathWithoutQuery(target)
        case .path(let path): return path
        case .prefix, .pattern, .tag, .key, .all: return "*"
        }
    }

    // MARK: - Purges

    /// The current purge sequence number (0 when Redis has none).
    public func currentSequence() -> EventLoopFuture<Int> {
        self.redis.send(.command("GET", self.keys.sequence)).flatMapThrowing { reply in
            if case .error(let message) = reply { throw L2Error.refused(message) }
            return reply.int ?? 0
        }
    }

    public enum L2Error: Error {
        case refused(String)
    }

    /// Increments the purge sequence (logging what the purges can reach), then deletes every entry they select. Fails
    /// only when Redis cannot be reached or refuses (the caller keeps the purges and replays them after a reconnect).
    /// `patternMatches(pattern, path)` evaluates a configured path pattern.
    public func purge(
        _ purges: [Purge],
        patternMatches: @escaping @Sendable (String, String) -> Bool
    ) -> EventLoopFuture<(sequence: Int, dropped: Int)> {
        let loop = self.redis.eventLoop
        var reached = Set(purges.map(Self.logged))
        if reached.isEmpty || reached.contains("*") { reached = ["*"] }
        let numbering: [String] = ["EVAL", Self.numberScript, "2", self.keys.sequence, self.keys.purgeLog, String(Self.purgeLogLength)]
        return self.redis.send(.command(numbering + reached.sorted())).flatMapThrowing { reply -> Int in
            guard let sequence = reply.int else { throw L2Error.refused(reply.errorMessage ?? "INCR failed") }
            return sequence
        }.flatMap { sequence in
            self.collectMembers(purges, patternMatches: patternMatches).flatMap { matched -> EventLoopFuture<Int> in
                self.delete(matched)
            }.map { (sequence, $0) }
        }.hop(to: loop)
    }

    /// For each purge, the index members it selects (first round: tag and path sets, path ranges; second round:
    /// the path sets of the ranges' paths).
    private func collectMembers(
        _ purges: [Purge],
        patternMatches: @escaping @Sendable (String, String) -> Bool
    ) -> EventLoopFuture<[(purge: Purge, path: String?, members: [String])]> {
        var first: [[ByteBuffer]] = []
        for purge in purges {
            switch purge.selector {
            case .tag(let tag):
                first.append(.command("SMEMBERS", self.keys.tagSet(tag)))
            case .key(let id):
                first.append(.command("SMEMBERS", self.keys.keySet(id)))
            case .target(let target):
                first.append(.command("SMEMBERS", self.keys.pathSet(Purge.pathWithoutQuery(target))))
            case .path(let path):
                first.append(.command("SMEMBERS", self.keys.pathSet(path)))
            case .prefix, .pattern, .all:
                let prefix = purge.pathPrefix ?? ""
                if prefix.isEmpty {
                    first.append(.command("ZRANGEBYLEX", self.keys.paths, "-", "+"))
                } else {
                    var end = ByteBuffer(string: "[" + prefix)
                    end.writeInteger(UInt8(0xFF))
                    first.append([ByteBuffer(string: "ZRANGEBYLEX"), ByteBuffer(string: self.keys.paths), ByteBuffer(string: "[" + prefix), end])
                }
            }
        }
        guard !first.isEmpty else { return self.redis.eventLoop.makeSucceededFuture([]) }
        return self.redis.pipeline(first).flatMap { replies in
            var result: [(purge: Purge, path: String?, members: [String])] = []
            var second: [(purge: Purge, path: String)] = []
            for (purge, reply) in zip(purges, replies) {
                let strings = (reply.array ?? []).compactMap(\.string)
                switch purge.selector {
                case .tag, .key:
                    result.append((purge, nil, strings))
                case .target(let target):
                    result.append((purge, Purge.pathWithoutQuery(target), strings))
                case .path(let path):
                    result.append((purge, path, strings))
                case .prefix(let prefix):
                    second += strings.filter { $0.hasPrefix(prefix) }.map { (purge, $0) }
                case .pattern(let pattern):
                    second += strings.filter { patternMatches(pattern, $0) }.map { (purge, $0) }
                case .all:
                    second += strings.map { (purge, $0) }
                }
            }
            guard !second.isEmpty else { return self.redis.eventLoop.makeSucceededFuture(result) }
            let lookups = second
            let collected = result
            return self.redis.pipeline(lookups.map { .command("SMEMBERS", self.keys.pathSet($0.path)) }).map { replies in
                var result = collected
                for ((purge, path), reply) in zip(lookups, replies) {
                    result.append((purge, path, (reply.array ?? []).compactMap(\.string)))
                }
                return result
            }
        }
    }

    /// Deletes the selected entries and their index members; returns how many entries existed.
    private func delete(_ matched: [(purge: Purge, path: String?, members: [String])]) -> EventLoopFuture<Int> {
        var entryKeys: [String] = []
        var seen = Set<String>()
        var indexCommands: [[ByteBuffer]] = []
        for (purge, path, members) in matched {
            var removed: [String] = []
            for member in members {
                guard let parsed = RedisKeys.parseMember(member) else { continue }
                if let partition = purge.partition, parsed.partition != partition { continue }
                if case .target(let target) = purge.selector, parsed.target != target { continue }
                removed.append(member)
                if seen.insert(parsed.key).inserted { entryKeys.append(self.keys.entry(parsed.key)) }
            }
            if case .tag(let tag) = purge.selector {
                if purge.partition == nil {
                    indexCommands.append(.command("DEL", self.keys.tagSet(tag)))
                } else if !removed.isEmpty {
                    indexCommands.append(.command(["SREM", self.keys.tagSet(tag)] + removed))
                }
            } else if case .key(let id) = purge.selector {
                indexCommands.append(.command("DEL", self.keys.keySet(id)))
            } else if let path, !removed.isEmpty {
                indexCommands.append(.command(["SREM", self.keys.pathSet(path)] + removed))
            }
        }
        // One DEL for every entry: its reply is the number of entries that existed.
        let commands = (entryKeys.isEmpty ? [] : [.command(["DEL"] + entryKeys)]) + indexCommands
        guard !commands.isEmpty else { return self.redis.eventLoop.makeSucceededFuture(0) }
        return self.redis.pipeline(commands).map { replies in
            entryKeys.isEmpty ? 0 : (replies.first?.int ?? 0)
        }
    }
}
