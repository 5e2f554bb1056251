/// A request pattern from proxy.conf: "METHOD /path" (rules, purge triggers) or "/path" (purge targets).
///
/// Path segments are literal, `*` (exactly one non-empty segment), `*:name` (one segment ending in `:name`, a
/// Google API custom method such as `*:countTokens`) or `**` (any number of segments, including none). Wildcards
/// are otherwise whole segments only. Matching takes the path without its query and
/// allocates nothing: segments are precompiled to bytes and compared against the path's UTF-8 in place.
public struct RoutePattern: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The method to match, upper-case; nil matches any method ("*", or no method written).
    public var method: String?
    /// The path part as written, e.g. "/v1/voices/*".
    public private(set) var path: String
    private var segments: [Segment]
    private var hasMethodPart: Bool

    enum Segment: Sendable, Equatable, Hashable {
        case literal([UInt8])
        case one
        /// `*:name`: one segment of at least one byte before this suffix (which starts with ":").
        case oneEnding([UInt8])
        case any
    }

    /// Methods a pattern may name; anything else is almost certainly a typo.
    public static let knownMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// Parses "METHOD /path" or, unless `requireMethod`, "/path" alone.
    public init(parsing text: String, requireMethod: Bool) throws(PatternError) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        let methodPart: Substring?
        let pathPart: Substring
        switch parts.count {
        case 1 where parts[0].hasPrefix("/") || !requireMethod:
            methodPart = nil
            pathPart = parts[0]
        case 2:
            methodPart = parts[0]
            pathPart = parts[1]
        default:
            let example = requireMethod ? "\"GET /v1/voices\"" : "\"/v1/voices\""
            throw PatternError(
                pattern: text,
                reason: requireMethod ? "is not \"METHOD /path\"" : "is not a path pattern",
                fix: "write it like \(example)."
            )
        }
        if requireMethod && methodPart == nil {
            throw PatternError(
                pattern: text,
                reason: "has no method",
                fix: "write it like \"GET \(pathPart)\", or \"* \(pathPart)\" for any method."
            )
        }
        self.hasMethodPart = methodPart != nil
        self.method = try Self.parseMethod(methodPart, in: text)
        self.path = String(pathPart)
        self.segments = try Self.parseSegments(pathPart, in: text)
    }

    public var description: String {
        self.hasMethodPart ? "\(self.method ?? "*") \(self.path)" : self.path
    }

    // MARK: - Matching

    /// Whether a request matches; `path` is the request path without its query.
    public func matches(method: String, path: String) -> Bool {
        if let expected = self.method, expected != method {
            return false
        }
        return self.matches(path: path)
    }

    /// Whether a path (without query) matches, whatever the method.
    public func matches(path: String) -> Bool {
        if let result = path.utf8.withContiguousStorageIfAvailable({ self.matches(bytes: $0) }) {
            return result
        }
        return Array(path.utf8).withUnsafeBufferPointer { self.matches(bytes: $0) }
    }

    /// Segment-wise wildcard matching with one backtrack point: the latest `**` absorbs one more
    /// segment whenever what follows it fails, which is complete for patterns of this shape.
    private func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        guard count > 0, bytes[0] == UInt8(ascii: "/") else {
            return false
        }
        func segmentEnd(_ start: Int) -> Int {
            var index = start
            while index < count && bytes[index] != UInt8(ascii: "/") {
                index += 1
            }
            return index
        }
        var patternIndex = 0
        var position = 1  // start of the current path segment; past `count` once all are consumed
        var starIndex = -1
        var starPosition = 0
        while position <= count {
            if patternIndex < self.segments.count {
                switch self.segments[patternIndex] {
                case .any:
                    starIndex = patternIndex
                    starPosition = position
                    patternIndex += 1
                    continue
                case .one:
                    let end = segmentEnd(position)
                    if end > position {
                        patternIndex += 1
                        position = end + 1
                        continue
                    }
                case .oneEnding(let suffix):
                    let end = segmentEnd(position)
                    if end - position > suffix.count && Self.equal(bytes, from: end - suffix.count, suffix) {
                        patternIndex += 1
                        position = end + 1
                        continue
                    }
                case .literal(let literal):
                    let end = segmentEnd(position)
                    if end - position == literal.count && Self.equal(bytes, from: position, literal) {
                        patternIndex += 1
                        position = end + 1
                        continue
                    }
                }
            }
            guard starIndex >= 0 else {
                return false
            }
            starPosition = segmentEnd(starPosition) + 1
            position = starPosition
            patternIndex = starIndex + 1
        }
        while patternIndex < self.segments.count && self.segments[patternIndex] == .any {
            patternIndex += 1
        }
        return patternIndex == self.segments.count
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ literal: [UInt8]) -> Bool {
        for offset in 0..<literal.count where bytes[start + offset] != literal[offset] {
            return false
        }
        return true
    }

    /// Whether some path this pattern matches lies at or under `prefix` ("/" covers everything).
    func canMatch(underPrefix prefix: String) -> Bool {
        let prefixSegments = prefix.split(separator: "/")
        for (index, prefixSegment) in prefixSegments.enumerated() {
            guard index < self.segments.count else {
                return false
            }
            switch self.segments[index] {
            case .any:
                return true
            case .one:
                continue
            case .oneEnding(let suffix):
                if prefixSegment.utf8.count <= suffix.count || !prefixSegment.utf8.suffix(suffix.count).elementsEqual(suffix) {
                    return false
                }
            case .literal(let literal):
                if literal != Array(prefixSegment.utf8) {
                    return false
                }
            }
        }
        return true
    }

    // MARK: - Parsing

    private static func parseMethod(_ part: Substring?, in text: String) throws(PatternError) -> String? {
        guard let part = part, part != "*" else {
            return nil
        }
        let method = String(part)
        if Self.knownMethods.contains(method) {
            return method
        }
        if Self.knownMethods.contains(method.uppercased()) {
            throw PatternError(
                pattern: text,
                reason: "has a lower-case method \"\(method)\"",
                fix: "write \(method.uppercased())."
            )
        }
        throw PatternError(
            pattern: text,
            reason: "has an unknown method \"\(method)\"",
            fix: "use one of \(Self.knownMethods.joined(separator: ", ")), or * for any method."
        )
    }

    private static func parseSegments(_ path: Substring, in text: String) throws(PatternError) -> [Segment] {
        guard path.hasPrefix("/") else {
            throw PatternError(
                pattern: text,
                reason: "has a path that does not start with \"/\"",
                fix: "start the path with \"/\", e.g. \"/\(path)\"."
            )
        }
        if path.contains("?") || path.contains("#") {
            throw PatternError(
                pattern: text,
                reason: "contains a query or fragment",
                fix: "remove everything from \"?\" on; patterns match the path only."
            )
        }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var segments: [Segment] = []
        for (index, part) in parts.enumerated() {
            if part.isEmpty && index < parts.count - 1 {
                throw PatternError(pattern: text, reason: "has an empty path segment", fix: "remove the extra \"/\".")
            }
            switch part {
            case "**":
                segments.append(.any)
            case "*":
                segments.append(.one)
            case _ where part.hasPrefix("*:") && part.count > 2 && !part.dropFirst().contains("*"):
                segments.append(.oneEnding(Array(part.dropFirst().utf8)))
            default:
                if part.contains("*") {
                    throw PatternError(
                        pattern: text,
                        reason: "has \"*\" inside the segment \"\(part)\"",
                        fix: "a wildcard must be a whole segment: \"/a/*\" matches one segment, \"/a/**\" any number."
                    )
                }
                segments.append(.literal(Array(part.utf8)))
            }
        }
        return segments
    }
}
