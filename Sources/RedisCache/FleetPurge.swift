/// One invalidation in a form every instance understands: sent over pub/sub and applied to L2. Patterns travel as
/// their text (each instance has the same proxy.conf and compiles them itself), not as closures.
public struct FleetPurge: Sendable, Hashable {
    public enum Selector: Sendable, Hashable {
        /// Entries requested with exactly this target (path + query).
        case target(String)
        /// Entries whose path equals this one, whatever the query.
        case path(String)
        /// Entries whose path starts with this prefix.
        case prefix(String)
        /// Entries whose path matches a configured path pattern (`/v1/voices/*`).
        case pattern(String)
        /// Entries stored with this tag.
        case tag(String)
        /// Entries of the cache key with this short name (`Reprise-Cache-Key`).
        case key(String)
        /// Everything (an instance that may have missed purges asks the fleet for nothing less).
        case all
    }

    public var selector: Selector
    /// The credential partition, or nil for every partition.
    public var partition: String?

    public init(_ selector: Selector, partition: String? = nil) {
        self.selector = selector
        self.partition = partition
    }

    /// The literal start of every path this purge can reach ("" when any path can match): the range of the path
    /// index that an L2 purge reads.
    var pathPrefix: String? {
        switch self.selector {
        case .target(let target): return Self.pathWithoutQuery(target)
        case .path(let path): return path
        case .prefix(let prefix): return prefix
        case .pattern(let pattern): return String(pattern.prefix { $0 != "*" })
        case .tag, .key, .all: return nil
        }
    }

    static func pathWithoutQuery(_ target: String) -> String {
        String(target.prefix { $0 != "?" })
    }
}

/// A purge as published on the fleet channel: who sent it, its id (for acknowledgements) and the purge sequence
/// number it produced in Redis.
public struct PurgeMessage: Sendable, Equatable {
    public var origin: String
    public var id: UInt64
    public var sequence: Int
    public var purges: [FleetPurge]

    public init(origin: String, id: UInt64, sequence: Int, purges: [FleetPurge]) {
        self.origin = origin
        self.id = id
        self.sequence = sequence
        self.purges = purges
    }

    /// Text lines: `reprise-purge 1`, origin, id, sequence, then one `kind TAB partition TAB value` per purge.
    /// Request targets, tags and partitions never contain tabs or newlines (the HTTP parser and the config refuse
    /// them), so no escaping is needed; a value that does is refused when encoding.
    public func encoded() -> String? {
        var lines = ["reprise-purge 1", self.origin, String(self.id), String(self.sequence)]
        for purge in self.purges {
            let (kind, value): (String, String)
            switch purge.selector {
            case .target(let v): (kind, value) = ("target", v)
            case .path(let v): (kind, value) = ("path", v)
            case .prefix(let v): (kind, value) = ("prefix", v)
            case .pattern(let v): (kind, value) = ("pattern", v)
            case .tag(let v): (kind, value) = ("tag", v)
            case .key(let v): (kind, value) = ("key", v)
            case .all: (kind, value) = ("all", "")
            }
            let partition = purge.partition ?? "*"
            guard !(value + partition).contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return nil }
            lines.append(kind + "\t" + partition + "\t" + value)
        }
        return lines.joined(separator: "\n")
    }

    public init?(decoding text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines[0] == "reprise-purge 1", !lines[1].isEmpty, let id = UInt64(lines[2]),
            let sequence = Int(lines[3])
        else { return nil }
        var purges: [FleetPurge] = []
        for line in lines.dropFirst(4) {
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[1].isEmpty else { return nil }
            let value = String(fields[2])
            let selector: FleetPurge.Selector
            switch fields[0] {
            case "target": selector = .target(value)
            case "path": selector = .path(value)
            case "prefix": selector = .prefix(value)
            case "pattern": selector = .pattern(value)
            case "tag": selector = .tag(value)
            case "key": selector = .key(value)
            case "all": selector = .all
            default: return nil
            }
            purges.append(FleetPurge(selector, partition: fields[1] == "*" ? nil : String(fields[1])))
        }
        self.init(origin: String(lines[1]), id: id, sequence: sequence, purges: purges)
    }
}
