// MARK: - [server]: what Reprise accepts from clients, and how long it waits for them

extension ConfigDecoder {
    mutating func decodeClientLimits(_ table: TableContext, into settings: inout ServerSettings) {
        if let fields = self.positiveInteger(table, "max_header_fields", range: 1...10_000) {
            settings.maxHeaderFields = fields
        }
        if let connections = self.positiveInteger(table, "max_connections", range: 1...1_000_000) {
            settings.maxConnections = connections
        }
        if let ranges = self.stringArray(table, "trusted_proxies") {
            settings.trustedProxies = ranges.compactMap { self.parse(table, "trusted_proxies", $0, AddressRange.parse) }
        }
        settings.getWithBody = self.choice(table, "get_with_body", noun: "get_with_body policy") ?? settings.getWithBody
        settings.allowTrace = self.bool(table, "allow_trace") ?? settings.allowTrace
        settings.clientHeaderTimeout =
            self.duration(table, "client_header_timeout", positive: true) ?? settings.clientHeaderTimeout
        settings.clientBodyTimeout = self.duration(table, "client_body_timeout", positive: true) ?? settings.clientBodyTimeout
        settings.keepaliveTimeout = self.duration(table, "keepalive_timeout", positive: true) ?? settings.keepaliveTimeout
        settings.sendTimeout = self.duration(table, "send_timeout", positive: true) ?? settings.sendTimeout
    }

    /// An integer within `range`.
    mutating func positiveInteger(_ table: TableContext, _ key: String, range: ClosedRange<Int>) -> Int? {
        guard let node = table.entries[key] else { return nil }
        guard case .integer(let number) = node else {
            self.typeMismatch(table, key, expected: "an integer", found: node.kindDescription)
            return nil
        }
        guard range.contains(number) else {
            let example = table.schema?.example(for: key) ?? "\(range.lowerBound)"
            self.report(
                table,
                key,
                "\(number) is outside \(range.lowerBound)...\(range.upperBound).",
                fix: "write a number in that range, e.g. \(key) = \(example)."
            )
            return nil
        }
        return number
    }

    /// One of a string enum's values, with a "did you mean" fix for a near miss.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ table: TableContext,
        _ key: String,
        noun: String
    ) -> Choice? where Choice.RawValue == String {
        guard let string = self.string(table, key) else { return nil }
        if let known = Choice(rawValue: string.value) { return known }
        let names = Choice.allCases.map(\.rawValue)
        let listed = names.dropLast().map { "\"\($0)\"" }.joined(separator: ", ") + " or \"\(names.last!)\""
        var fix = "write \(listed)."
        if !string.fromEnvironment, let suggestion = Suggestion.closest(to: string.value, in: names) {
            fix = "did you mean \"\(suggestion)\"? The values are \(listed)."
        }
        self.reportInvalid(table, key, string, reason: "is not a \(noun)", fix: fix)
        return nil
    }
}
