import NIOCore

/// Every Redis key and channel name Reprise uses, under one configurable prefix.
///
/// - `<p>e:<cache key>`: an entry (string, PX expiry = freshness + stale windows).
/// - `<p>p:<path>`: set of index members of the entries stored for one path.
/// - `<p>paths`: sorted set (all scores 0) of paths that have entries: prefix and pattern purges read a range of
///   it (`ZRANGEBYLEX`), never `KEYS` or `SCAN`.
/// - `<p>t:<tag>`: set of index members of the entries stored with one tag.
/// - `<p>k:<key id>`: set of index members of the entries of one cache key (`Reprise-Cache-Key`, purges by key).
/// - `<p>seq`: the purge sequence number, incremented by every purge.
/// - `<p>purges`: sorted set of the last purges by number: "<number> <path>" for a purge that can reach one path only
///   (an exact target or a path), "<number> *" for any other; a write refused by the sequence reads it
///   (`L2Store.putScript`).
/// - `<p>f:<cache key>`: the lease of the instance fetching that key (cross-instance single flight, `SET NX PX`).
/// - `<p>secret`: the fleet's credential-hashing secret when `key_secret` is unset (`SET NX` on first start).
/// - channel `<p>flight`: "<outcome> <cache key>" when a lease is let go;
/// - channel `<p>purge`: purge messages; channel `<p>ack:<instance>`: acknowledgements for one writer.
///
/// An index member is `partition TAB target TAB cache key`, so a purge filters by target and partition without
/// reading the entries.
public struct RedisKeys: Sendable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    func entry(_ key: String) -> String { self.prefix + "e:" + key }
    func pathSet(_ path: String) -> String { self.prefix + "p:" + path }
    var paths: String { self.prefix + "paths" }
    func tagSet(_ tag: String) -> String { self.prefix + "t:" + tag }
    func keySet(_ id: String) -> String { self.prefix + "k:" + id }
    var sequence: String { self.prefix + "seq" }
    var purgeLog: String { self.prefix + "purges" }
    func lease(_ key: String) -> String { self.prefix + "f:" + key }
    public var flightChannel: String { self.prefix + "flight" }
    var secret: String { self.prefix + "secret" }
    public var purgeChannel: String { self.prefix + "purge" }
    public func ackChannel(origin: String) -> String { self.prefix + "ack:" + origin }

    static func member(partition: String, target: String, key: String) -> String {
        partition + "\t" + target + "\t" + key
    }

    /// (partition, target, key) of an index member; nil when it is not one.
    static func parseMember(_ member: String) -> (partition: String, target: String, key: String)? {
        let fields = member.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { return nil }
        return (String(fields[0]), String(fields[1]), String(fields[2]))
    }
}

extension Array where Element == ByteBuffer {
    /// A command from text arguments.
    static func command(_ parts: String...) -> [ByteBuffer] {
        parts.map { ByteBuffer(string: $0) }
    }

    static func command(_ parts: [String]) -> [ByteBuffer] {
        parts.map { ByteBuffer(string: $0) }
    }
}
