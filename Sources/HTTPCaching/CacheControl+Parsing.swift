// MARK: Applying one directive

extension CacheControl {
    /// Splits `name[=argument]`; the name is lower-cased, the argument keeps its quotes.
    static func splitDirective(_ element: Substring) -> (name: String, argument: Substring?) {
        // By scalars, as `FieldParsing.splitList` reads the list: `max-age=\u{301}0` has its `=`.
        let scalars = element.unicodeScalars
        guard let equals = scalars.firstIndex(of: "=") else {
            return (FieldParsing.trimOWS(element).lowercased(), nil)
        }
        let name = FieldParsing.trimOWS(Substring(scalars[scalars.startIndex..<equals])).lowercased()
        let argument = FieldParsing.trimOWS(Substring(scalars[scalars.index(after: equals)...]))
        return (name, argument)
    }

    mutating func apply(name: String, argument: Substring?) {
        self.isEmpty = false
        switch name {
        case "max-age":  // RFC 9111 §5.2.1.1, §5.2.2.1
            self.maxAge = self.merged(name, self.maxAge, Self.seconds(argument), conflict: { _, _ in 0 })
        case "s-maxage":  // RFC 9111 §5.2.2.10
            self.sMaxAge = self.merged(name, self.sMaxAge, Self.seconds(argument), conflict: { _, _ in 0 })
        case "min-fresh":  // RFC 9111 §5.2.1.3
            self.minFresh = self.merged(name, self.minFresh, Self.seconds(argument), conflict: max)
        case "stale-while-revalidate":  // RFC 5861 §3
            self.staleWhileRevalidate = self.merged(
                name, self.staleWhileRevalidate, Self.seconds(argument), conflict: min)
        case "stale-if-error":  // RFC 5861 §4
            self.staleIfError = self.merged(name, self.staleIfError, Self.seconds(argument), conflict: min)
        case "max-stale":  // RFC 9111 §5.2.1.2: no argument = any staleness
            self.applyMaxStale(argument)
        case "no-cache":  // RFC 9111 §5.2.1.4, §5.2.2.4
            let fields = Self.fieldNames(argument)
            if fields.isEmpty {
                self.noCache = true
            } else {
                self.noCacheFields = Self.union(self.noCacheFields, fields)
            }
        case "private":  // RFC 9111 §5.2.2.7
            let fields = Self.fieldNames(argument)
            if fields.isEmpty {
                self.isPrivate = true
            } else {
                self.privateFields = Self.union(self.privateFields, fields)
            }
        case "no-store":  // RFC 9111 §5.2.1.5, §5.2.2.5
            self.noStore = true
        case "no-transform":
            self.noTransform = true
        case "public":  // RFC 9111 §5.2.2.9
            self.isPublic = true
        case "must-revalidate":  // RFC 9111 §5.2.2.2
            self.mustRevalidate = true
        case "proxy-revalidate":  // RFC 9111 §5.2.2.8
            self.proxyRevalidate = true
        case "must-understand":  // RFC 9111 §5.2.2.3
            self.mustUnderstand = true
        case "immutable":  // RFC 8246
            self.immutable = true
        case "only-if-cached":  // RFC 9111 §5.2.1.7
            self.onlyIfCached = true
        default:  // RFC 9111 §5.2.3: unknown directives are ignored
            break
        }
    }

    private mutating func applyMaxStale(_ argument: Substring?) {
        guard let argument else {
            if self.maxStale == nil {
                self.maxStale = .unlimited
            }
            return
        }
        guard let seconds = Self.seconds(argument) else {
            self.invalidArguments.insert("max-stale")
            return
        }
        switch self.maxStale {
        case .seconds(let existing):
            self.maxStale = .seconds(min(existing, seconds))
        case .unlimited, nil:
            self.maxStale = .seconds(seconds)
        }
    }

    /// Combines a duplicate numeric directive; records an unusable argument.
    private mutating func merged(
        _ name: String,
        _ existing: Int?,
        _ new: Int?,
        conflict: (Int, Int) -> Int
    ) -> Int? {
        guard let new else {
            self.invalidArguments.insert(name)
            return existing
        }
        guard let existing else {
            return new
        }
        return existing == new ? existing : conflict(existing, new)
    }

    /// delta-seconds as a token or a quoted string (`max-age="5"`).
    static func seconds(_ argument: Substring?) -> Int? {
        guard let argument, let text = FieldParsing.tokenOrQuotedString(argument) else {
            return nil
        }
        return FieldParsing.deltaSeconds(FieldParsing.trimOWS(text))
    }

    /// The lower-cased field names of a qualified `no-cache` / `private`; empty when unqualified.
    static func fieldNames(_ argument: Substring?) -> [String] {
        guard let argument, let text = FieldParsing.tokenOrQuotedString(argument) else {
            return []
        }
        return FieldParsing.splitList(text).map { $0.lowercased() }
    }

    static func union(_ existing: [String], _ new: [String]) -> [String] {
        var result = existing
        for name in new where !result.contains(name) {
            result.append(name)
        }
        return result
    }
}
