/// The parsed directives of a `Cache-Control` field (RFC 9111 §5.2), request or response.
///
/// Unknown directives are ignored (RFC 9111 §5.2.3). See ``Leniencies`` for how malformed and
/// duplicate directives are treated.
public struct CacheControl: Sendable, Equatable {
    public enum MaxStale: Sendable, Equatable {
        case unlimited
        case seconds(Int)
    }

    // MARK: Shared by requests and responses

    /// RFC 9111 §5.2.1.1 (request) / §5.2.2.1 (response).
    public var maxAge: Int?
    /// `no-cache` without field names (RFC 9111 §5.2.1.4, §5.2.2.4).
    public var noCache: Bool = false
    /// The field names of a qualified `no-cache="a, b"`, lower-cased.
    public var noCacheFields: [String] = []
    public var noStore: Bool = false
    public var noTransform: Bool = false
    /// RFC 5861 §4, in requests and responses.
    public var staleIfError: Int?

    // MARK: Response directives

    public var sMaxAge: Int?
    /// `private` without field names (RFC 9111 §5.2.2.7).
    public var isPrivate: Bool = false
    /// The field names of a qualified `private="a, b"`, lower-cased.
    public var privateFields: [String] = []
    public var isPublic: Bool = false
    public var mustRevalidate: Bool = false
    public var proxyRevalidate: Bool = false
    /// RFC 8246.
    public var immutable: Bool = false
    public var mustUnderstand: Bool = false
    /// RFC 5861 §3.
    public var staleWhileRevalidate: Int?

    // MARK: Request directives

    public var maxStale: MaxStale?
    public var minFresh: Int?
    public var onlyIfCached: Bool = false

    // MARK: Diagnostics

    /// Known directives that were present with an unusable argument (e.g. `max-age=-1`).
    public var invalidArguments: Set<String> = []
    /// Whether at least one directive (known or not) was present.
    public var isEmpty: Bool = true

    public init() {}

    /// Parses every field line (comma lists, quoted strings, any case, any whitespace). A single short line is looked
    /// up first among the lines parsed before (`CacheControlMemo`).
    public init(fieldValues: [String]) {
        guard let line = fieldValues.first else {
            self.init()
            return
        }
        guard fieldValues.count == 1, line.utf8.count <= CacheControlMemo.longestLine else {
            self.init(parsing: fieldValues)
            return
        }
        if let known = CacheControlMemo.shared.value(for: line) {
            self = known
            return
        }
        self.init(parsing: fieldValues)
        CacheControlMemo.shared.remember(self, for: line)
    }

    /// Parses the field lines, without the memo.
    init(parsing fieldValues: [String]) {
        self.init()
        for element in FieldParsing.listElements(fieldValues) {
            let (name, argument) = Self.splitDirective(element)
            guard !name.isEmpty else {
                continue
            }
            self.apply(name: name, argument: argument)
        }
    }

    /// The `Cache-Control` of these headers (not the targeted fields: see
    /// ``effective(responseHeaders:targetedNames:)``).
    public init(headers: some HTTPFieldReading) {
        self.init(fieldValues: headers.fieldValues("cache-control"))
    }

    // MARK: Derived

    /// RFC 9111 §4.2.4, §5.2.2.2, §5.2.2.8, §5.2.2.10: a shared cache must not serve this response
    /// stale without revalidating (s-maxage implies proxy-revalidate).
    public var forbidsStaleInSharedCache: Bool {
        self.mustRevalidate || self.proxyRevalidate || self.sMaxAge != nil || self.noCache
    }

    /// Whether the response carries explicit freshness in its directives (s-maxage or max-age,
    /// even unusable ones).
    public var hasExplicitFreshness: Bool {
        self.sMaxAge != nil || self.maxAge != nil || self.invalidArguments.contains("s-maxage")
            || self.invalidArguments.contains("max-age")
    }
}
