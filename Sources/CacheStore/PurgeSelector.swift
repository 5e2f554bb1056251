/// What an invalidation drops. `partition == nil` means every credential partition.
public enum PurgeSelector: Sendable {
    /// Entries requested with exactly this target (path + query), any method or variant.
    case target(String, partition: String?)
    /// Entries whose path (without query) equals this path, whatever the query.
    case path(String, partition: String?)
    /// Entries whose path starts with this prefix.
    case prefix(String, partition: String?)
    /// Entries whose path satisfies the predicate (a configured path pattern).
    case pathMatching(@Sendable (String) -> Bool, partition: String?)
    /// Entries stored with this tag.
    case tag(String, partition: String?)
    /// Entries of the cache key with this short name (`Reprise-Cache-Key`), every variant of it. The name already
    /// stands for one partition.
    case keyID(String)

    var partition: String? {
        switch self {
        case .target(_, let p), .path(_, let p), .prefix(_, let p), .pathMatching(_, let p), .tag(_, let p): return p
        case .keyID: return nil
        }
    }

    /// Whether this selector drops `response`: the rule `Shard.purge` applies, for one response.
    public func matches(_ response: CachedResponse) -> Bool {
        if let partition = self.partition, response.partition != partition { return false }
        switch self {
        case .target(let target, _): return response.target == target
        case .path(let path, _): return response.path == path
        case .prefix(let prefix, _): return response.path.hasPrefix(prefix)
        case .pathMatching(let predicate, _): return predicate(response.path)
        case .tag(let tag, _): return response.tags.contains(tag)
        case .keyID(let id): return !id.isEmpty && response.keyID == id
        }
    }

    /// The path whose shard holds every candidate, when the selector names one path.
    var singlePath: String? {
        switch self {
        case .target(let target, _): return target.pathWithoutQuery
        case .path(let path, _): return path
        default: return nil
        }
    }
}

extension String {
    /// The part before `?`.
    public var pathWithoutQuery: String {
        guard let index = self.utf8.firstIndex(of: UInt8(ascii: "?")) else { return self }
        return String(self[..<index])
    }
}
