/// One invalidation, in a form every tier understands and that can be written down (the disk tier's journal, a
/// fleet message): patterns travel as their text (each instance has the same proxy.conf and compiles them itself),
/// not as closures.
public struct Purge: Sendable, Hashable {
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

    /// The literal start of every path this purge can reach ("" when any path can match): the range of a path index
    /// a purge reads.
    public var pathPrefix: String? {
        switch self.selector {
        case .target(let target): return Self.pathWithoutQuery(target)
        case .path(let path): return path
        case .prefix(let prefix): return prefix
        case .pattern(let pattern): return String(pattern.prefix { $0 != "*" })
        case .tag, .key, .all: return nil
        }
    }

    public static func pathWithoutQuery(_ target: String) -> String {
        String(target.prefix { $0 != "?" })
    }
}

/// Compiles a configured path pattern (`/v1/voices/*`) from its text; nil when it does not compile.
public typealias PathPatternCompiler = @Sendable (String) -> (@Sendable (String) -> Bool)?
