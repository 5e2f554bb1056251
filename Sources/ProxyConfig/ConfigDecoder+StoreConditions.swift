// MARK: - store_if_*: what a response must be to be stored; cost_*: what a call cost

extension ConfigDecoder {
    /// `store_if_content_type`, `store_if_min_size`, `store_if_json` and `store_if_last_event`.
    mutating func decodeStoreConditions(_ table: TableContext, into settings: inout RuleSettings) {
        var conditions = StoreConditions()
        if let types = self.stringArray(table, "store_if_content_type") {
            for type in types where !Self.isMediaRange(type.value) {
                self.report(
                    table,
                    "store_if_content_type",
                    "\(type.display) is not a media type.",
                    fix: "write a type such as \"audio/*\" or \"application/json\" (no parameters)."
                )
            }
            if types.isEmpty {
                self.report(
                    table,
                    "store_if_content_type",
                    "is empty, so no response would be stored.",
                    fix: "list the types worth storing, e.g. [\"audio/*\"], or remove the key."
                )
            }
            conditions.contentTypes = types.map { $0.value.lowercased() }
        }
        conditions.minSize = self.size(table, "store_if_min_size")
        conditions.json = self.jsonConditions(table, "store_if_json")
        conditions.lastEvent = self.jsonConditions(table, "store_if_last_event")
        settings.storeIf = conditions
    }

    /// One condition table, or an array of them.
    mutating func jsonConditions(_ table: TableContext, _ key: String) -> [JSONCondition] {
        guard let node = table.entries[key] else { return [] }
        let schema = ConfigSchema.jsonCondition(named: key)
        switch node {
        case .table:
            return self.jsonCondition(table, key, schema: schema).map { [$0] } ?? []
        case .array(let elements):
            var conditions: [JSONCondition] = []
            for (index, element) in elements.enumerated() {
                guard case .table(let entries) = element else {
                    self.report(
                        table,
                        key,
                        "expected an array of inline tables, found \(element.kindDescription) at position \(index + 1).",
                        fix: "write \(key) = [{ pointer = \"/error\", absent = true }, ...]."
                    )
                    return []
                }
                let inner = TableContext(
                    section: table.section,
                    path: "\(table.path.isEmpty ? key : "\(table.path).\(key)")[\(index + 1)]",
                    schema: schema,
                    entries: entries,
                    parentKey: key
                )
                self.checkKeys(inner)
                if let condition = self.jsonCondition(inner) { conditions.append(condition) }
            }
            if elements.isEmpty {
                self.report(table, key, "is empty.", fix: "write at least one condition, or remove the key.")
            }
            return conditions
        default:
            self.typeMismatch(table, key, expected: "an inline table or an array of them", found: node.kindDescription)
            return []
        }
    }

    /// `{ pointer = "/data/task_status", in = ["succeed", "failed"] }`, `{ pointer = "/error", absent = true }`,
    /// `{ pointer = "/candidates/0/content/parts/0/text", present = true }`, each with an optional `detail`.
    mutating func jsonCondition(_ table: TableContext, _ key: String, schema: ConfigSchema.Section) -> JSONCondition? {
        guard let inner = self.inlineTable(table, key, schema: schema) else {
            return nil
        }
        return self.jsonCondition(inner)
    }

    private mutating func jsonCondition(_ inner: TableContext) -> JSONCondition? {
        let problemCount = self.problems.count
        let pointer = self.requiredString(inner, "pointer").flatMap {
            self.parse(inner, "pointer", $0, Self.jsonPointer)
        }
        let written = ["in", "absent", "present"].filter { inner.entries[$0] != nil }
        var test: JSONCondition.Test?
        if written.isEmpty {
            self.report(
                inner,
                nil,
                "missing required key in.",
                fix: "add in = [\"succeed\", \"failed\"], the values that make a response worth storing."
            )
        } else if written.count > 1 {
            self.report(
                inner,
                nil,
                "has \(written.joined(separator: " and ")); a condition tests one thing.",
                fix: "keep one of in, absent = true or present = true; write two conditions for two tests."
            )
        } else if written == ["in"] {
            if let strings = self.stringArray(inner, "in") {
                if strings.isEmpty {
                    self.report(
                        inner,
                        "in",
                        "is empty, so no response would be stored.",
                        fix: "list the values that make a response worth storing, e.g. in = [\"succeed\", \"failed\"]."
                    )
                } else {
                    test = .oneOf(strings.map(\.value))
                }
            }
        } else if let flag = self.bool(inner, written[0]) {
            if flag {
                test = written[0] == "absent" ? .absent : .present
            } else {
                self.report(inner, written[0], "is false.", fix: "write \(written[0]) = true, or remove the condition.")
            }
        }
        var detail = JSONCondition.defaultDetail
        if let written = self.string(inner, "detail") {
            if Self.isDetailToken(written.value) {
                detail = written.value
            } else {
                self.reportInvalid(
                    inner,
                    "detail",
                    written,
                    reason: "is not a detail token",
                    fix: "write 1 to 32 lower-case letters, digits and \"-\", e.g. \"finish-reason\"."
                )
            }
        }
        guard let pointer, let test, self.problems.count == problemCount else {
            return nil
        }
        return JSONCondition(pointer: pointer, test: test, detail: detail)
    }

    /// `cost_header`, `cost_json`, `cost_last_event`, `cost_fixed` and `cost_price`.
    mutating func decodeCost(_ table: TableContext, into settings: inout RuleSettings) {
        var cost = CostSettings()
        cost.header = self.headerName(table, "cost_header")
        cost.jsonPointers = self.pointerList(table, "cost_json")
        cost.lastEventPointers = self.pointerList(table, "cost_last_event")
        if let node = table.entries["cost_fixed"] {
            if case .integer(let units) = node, units > 0 {
                cost.fixed = units
            } else if case .integer = node {
                self.report(table, "cost_fixed", "must be greater than 0.", fix: "write the units one call costs, e.g. 1.")
            } else {
                self.typeMismatch(table, "cost_fixed", expected: "an integer", found: node.kindDescription)
            }
        }
        let sources = ["cost_header", "cost_json", "cost_last_event", "cost_fixed"].filter { table.entries[$0] != nil }
        if sources.contains("cost_fixed") && sources.count > 1 || sources.contains("cost_header") && sources.count > 1 {
            self.report(
                table,
                sources.last,
                "is set with \(sources.dropLast().joined(separator: " and ")); a rule reads its cost from one place.",
                fix: "keep cost_header, or cost_fixed, or cost_json and cost_last_event (a JSON body and a stream)."
            )
        }
        if let node = table.entries["cost_price"] {
            let price: Double?
            switch node {
            case .float(let value): price = value
            case .integer(let value): price = Double(value)
            default:
                self.typeMismatch(table, "cost_price", expected: "a number", found: node.kindDescription)
                price = nil
            }
            if let price, !(price > 0 && price.isFinite) {
                self.report(table, "cost_price", "must be greater than 0.", fix: "write the price of one unit, e.g. 0.0000003.")
            } else if let price {
                cost.price = price
            }
            if sources.isEmpty {
                self.report(
                    table,
                    "cost_price",
                    "is set, but the rule reads no cost.",
                    fix: "add cost_header, cost_json, cost_last_event or cost_fixed, or remove cost_price."
                )
            }
        }
        settings.cost = cost
    }

    /// One JSON Pointer or an array of them.
    private mutating func pointerList(_ table: TableContext, _ key: String) -> [String] {
        guard let node = table.entries[key] else { return [] }
        if case .string = node {
            return self.string(table, key).flatMap { self.parse(table, key, $0, Self.jsonPointer) }.map { [$0] } ?? []
        }
        guard let strings = self.stringArray(table, key) else { return [] }
        if strings.isEmpty {
            self.report(table, key, "is empty.", fix: "write a JSON Pointer such as \"/usageMetadata/totalTokenCount\".")
        }
        return strings.compactMap { self.parse(table, key, $0, Self.jsonPointer) }
    }

    /// `type/subtype` or `type/*`, tokens only (RFC 9110 §8.3.1), without parameters.
    static func isMediaRange(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] != "*" else { return false }
        return parts.allSatisfy { !$0.isEmpty && Self.isHeaderName(String($0)) }
    }

    /// A `Cache-Status` detail token of our own: `[a-z0-9-]{1,32}`.
    static func isDetailToken(_ text: String) -> Bool {
        (1...32).contains(text.utf8.count)
            && text.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }
}
