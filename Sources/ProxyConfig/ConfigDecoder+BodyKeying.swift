// MARK: - AI generation caching: body keys, credential keys, store conditions

extension ConfigDecoder {
    /// The keys of a `[[rule]]` for body-keyed caching and its credential and cost keys.
    /// `matchIsValid`: `settings.match` holds the rule's own pattern, not a placeholder.
    mutating func decodeBodyKeying(_ table: TableContext, matchIsValid: Bool, into settings: inout RuleSettings) {
        if settings.cacheBody, matchIsValid, settings.match.method != "POST",
            settings.match.method != "PUT"
        {
            let what = settings.match.method.map { "\($0) requests" } ?? "any method"
            self.report(
                table,
                "cache_body",
                "is true, but the rule matches \(what).",
                fix: "cache_body applies to POST and PUT rules."
            )
        }
        if let fields = self.stringArray(table, "ignore_body_fields") {
            settings.ignoreBodyFields = fields.compactMap {
                self.parse(table, "ignore_body_fields", $0, Self.jsonPointer)
            }
        }
        settings.maxKeyedBody = self.size(table, "max_keyed_body") ?? settings.maxKeyedBody
        for key in ["ignore_body_fields", "max_keyed_body"] where table.entries[key] != nil && !settings.cacheBody {
            self.report(
                table,
                key,
                "is set, but the rule does not key on the request body.",
                fix: "add cache_body = true, or remove \(key)."
            )
        }
        self.decodeStoreConditions(table, into: &settings)
        settings.hitDropHeaders = self.headerNames(table, "hit_drop_headers") ?? []
        settings.finishOnClientAbort = self.bool(table, "finish_on_client_abort") ?? settings.cacheBody
        settings.keyQueryParams = self.queryParamNames(table, "key_query_params")
        settings.keyJWTClaim = self.jwtClaimKey(table, "key_jwt_claim")
        self.decodeCost(table, into: &settings)
        settings.clientControls = self.bool(table, "client_controls") ?? settings.cacheBody
        settings.clientTTLMax = self.duration(table, "client_ttl_max")
        if table.entries["client_ttl_max"] != nil && !settings.clientControls {
            self.report(
                table,
                "client_ttl_max",
                "is set, but the rule does not read Reprise-Cache-TTL.",
                fix: "add client_controls = true, or remove client_ttl_max."
            )
        }
    }

    /// Names of query parameters, as written (they are case-sensitive).
    mutating func queryParamNames(_ table: TableContext, _ key: String) -> [String]? {
        guard let names = self.stringArray(table, key) else {
            return nil
        }
        for name in names
        where name.value.isEmpty || name.value.contains(where: { $0.isWhitespace || "&=?#".contains($0) }) {
            let fix: String
            if let equals = name.value.firstIndex(of: "="), equals != name.value.startIndex {
                fix = "write the parameter's name only, e.g. \"\(name.value[..<equals])\"."
            } else {
                fix = "write the parameter's name only, e.g. \"key\"."
            }
            self.reportInvalid(table, key, name, reason: "is not a query parameter name", fix: fix)
            return nil
        }
        return names.map(\.value)
    }

    /// An RFC 6901 JSON Pointer: "" or "/a/b", where "~" is only written as "~0" or "~1".
    static func jsonPointer(_ text: String) throws(ValueError) -> String {
        guard text.isEmpty || text.hasPrefix("/") else {
            let dotted = text.hasPrefix("$.") ? String(text.dropFirst(2)) : text
            let slashed = dotted.split(separator: ".", omittingEmptySubsequences: false).joined(separator: "/")
            throw ValueError(
                reason: "is not a JSON Pointer",
                fix: "start it with \"/\", e.g. \"/\(slashed)\"; \"\" is the whole body."
            )
        }
        var rest = Substring(text)
        while let tilde = rest.firstIndex(of: "~") {
            let next = rest.index(after: tilde)
            guard next < rest.endIndex, rest[next] == "0" || rest[next] == "1" else {
                throw ValueError(
                    reason: "has a \"~\" that is not \"~0\" or \"~1\"",
                    fix: "write \"~0\" for \"~\" and \"~1\" for \"/\" inside a member name."
                )
            }
            rest = rest[rest.index(after: next)...]
        }
        return text
    }
}
