/// A purge compiled for matching stored entries (a pattern's text made a predicate). `partition == nil` means every
/// credential partition.
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

    /// The selector for `purge`; nil for `.all` (everything), and for a pattern that does not compile (nothing).
    public init?(_ purge: Purge, compile: PathPatternCompiler) {
        let partition = purge.partition
        switch purge.selector {
        case .target(let target): self = .target(target, partition: partition)
        case .path(let path): self = .path(path, partition: partition)
        case .prefix(let prefix): self = .prefix(prefix, partition: partition)
        case .tag(let tag): self = .tag(tag, partition: partition)
        case .key(let id): self = .keyID(id)
        case .pattern(let text):
            guard let predicate = compile(text) else { return nil }
            self = .pathMatching(predicate, partition: partition)
        case .all: return nil
        }
    }

    var partition: String? {
        switch self {
        case .target(_, let p), .path(_, let p), .prefix(_, let p), .pathMatching(_, let p), .tag(_, let p): return p
        case .keyID: return nil
        }
    }

    /// Whether this selector drops `response`.
    public func matches(_ response: CachedResponse) -> Bool {
        self.matches(
            partition: response.partition,
            target: { response.hasTarget($0) },
            path: { response.path },
            tags: response.tags,
            keyID: response.keyID
        )
    }

    /// The rule for an entry described by its parts (a tier that keeps entries elsewhere than in memory).
    public func matches(
        partition: String,
        target: (String) -> Bool,
        path: () -> String,
        tags: [String],
        keyID: @autoclosure () -> String
    ) -> Bool {
        if let wanted = self.partition, partition != wanted { return false }
        switch self {
        case .target(let wanted, _): return target(wanted)
        case .path(let wanted, _): return path() == wanted
        case .prefix(let prefix, _): return path().hasPrefix(prefix)
        case .pathMatching(let predicate, _): return predicate(path())
        case .tag(let tag, _): return tags.contains(tag)
        case .keyID(let id): return !id.isEmpty && keyID() == id
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
