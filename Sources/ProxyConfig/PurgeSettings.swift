/// Whose cache entries a purge rule drops.
public enum PurgeScope: String, Sendable, Equatable, CaseIterable {
    /// Only the partition of the credential that made the write (the default).
    case writer
    /// Every partition.
    case all
}

/// One `[[purge]]`: after a non-error answer to a write matching `on`, drop what it names.
public struct PurgeSettings: Sendable, Equatable {
    /// Unique, `[a-z0-9_-]+`.
    public var name: String
    /// Non-empty list of "METHOD /path" triggers.
    public var on: [RoutePattern]
    /// Tags to purge (each set by some rule).
    public var tags: [String]
    /// Path patterns (no method) whose entries are dropped.
    public var paths: [RoutePattern]
    /// Literal path prefixes whose entries are dropped.
    public var prefixes: [String]
    public var scope: PurgeScope
    /// Line of the `[[purge]]` header, for logs.
    public var line: Int

    public init(
        name: String,
        on: [RoutePattern],
        tags: [String] = [],
        paths: [RoutePattern] = [],
        prefixes: [String] = [],
        scope: PurgeScope = .writer,
        line: Int = 0
    ) {
        self.name = name
        self.on = on
        self.tags = tags
        self.paths = paths
        self.prefixes = prefixes
        self.scope = scope
        self.line = line
    }
}
