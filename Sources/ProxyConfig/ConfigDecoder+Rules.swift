// MARK: - [[rule]]

extension ConfigDecoder {
    mutating func decodeRules(_ tables: [TableContext]) -> [DecodedEntry<RuleSettings>] {
        var result: [DecodedEntry<RuleSettings>] = []
        var namesSeen: [String: TableContext] = [:]
        var matchesSeen: [RoutePattern: TableContext] = [:]
        let placeholder = try! RoutePattern(parsing: "* /", requireMethod: true)
        for var table in tables {
            let problemCount = self.problems.count
            let name = self.entryName(&table, example: "\"voices\"", seen: &namesSeen, noun: "rule")
            self.checkKeys(table)
            var settings = RuleSettings(name: name ?? "", match: placeholder, line: self.headerLine(table))
            var matchIsValid = false
            if let match = self.requiredString(table, "match"),
                let pattern = self.pattern(table, "match", match, requireMethod: true)
            {
                settings.match = pattern
                matchIsValid = true
                if let other = matchesSeen[pattern] {
                    self.report(
                        table,
                        "match",
                        "\(match.display) is also the match of \(other.path) (line \(self.headerLine(other))), "
                            + "which comes first and always wins.",
                        fix: "remove one of the two rules, or merge them."
                    )
                }
                matchesSeen[pattern] = matchesSeen[pattern] ?? table
            }
            settings.ttl = self.duration(table, "ttl")
            settings.ttlOverride = self.bool(table, "ttl_override") ?? false
            if settings.ttlOverride && table.entries["ttl"] == nil {
                self.report(
                    table,
                    "ttl_override",
                    "is true, but the rule has no ttl to override with.",
                    fix: "add ttl = \"1h\", or remove ttl_override."
                )
            }
            settings.tags = self.tags(table, "tags") ?? []
            settings.keyHeaders = self.headerNames(table, "key_headers")
            settings.clientCacheControl = self.string(table, "client_cache_control")?.value
            settings.cacheStatusCodes = self.statusCodes(table, "cache_status_codes")
            settings.staleWhileRevalidate = self.duration(table, "stale_while_revalidate")
            settings.staleIfError = self.duration(table, "stale_if_error")
            settings.cache = self.bool(table, "cache") ?? true
            settings.cacheBody = self.bool(table, "cache_body") ?? false
            settings.clientRefresh = self.choice(table, "client_refresh", noun: "client refresh mode")
            self.decodeBodyKeying(table, matchIsValid: matchIsValid, into: &settings)
            result.append(
                DecodedEntry(settings: settings, table: table, isComplete: self.problems.count == problemCount))
        }
        return result
    }

    /// Parses a route pattern, reporting a `PatternError` against the value as written.
    mutating func pattern(
        _ table: TableContext,
        _ key: String,
        _ string: ConfigString,
        requireMethod: Bool
    ) -> RoutePattern? {
        do {
            return try RoutePattern(parsing: string.value, requireMethod: requireMethod)
        } catch {
            self.reportInvalid(table, key, string, reason: error.reason, fix: error.fix)
            return nil
        }
    }

    /// Tags: non-empty words without spaces or commas.
    mutating func tags(_ table: TableContext, _ key: String) -> [String]? {
        guard let tags = self.stringArray(table, key) else {
            return nil
        }
        for tag in tags where tag.value.isEmpty || tag.value.contains(where: { $0.isWhitespace || $0 == "," }) {
            self.report(table, key, "\(tag.display) is not a valid tag.", fix: "use a word such as \"voices\".")
            return nil
        }
        return tags.map(\.value)
    }

    private mutating func statusCodes(_ table: TableContext, _ key: String) -> Set<Int>? {
        guard let codes = self.intArray(table, key) else {
            return nil
        }
        guard !codes.isEmpty else {
            self.report(
                table,
                key,
                "is empty, so nothing could be stored.",
                fix: "list at least one status code, or set cache = false to never cache this route."
            )
            return nil
        }
        for code in codes where !(100...599).contains(code) {
            self.report(
                table, key, "\(code) is not an HTTP status code.", fix: "use codes from 100 to 599, e.g. [200, 404].")
            return nil
        }
        return Set(codes)
    }
}
