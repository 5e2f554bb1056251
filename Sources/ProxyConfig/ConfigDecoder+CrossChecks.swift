// MARK: - Checks across sections

extension ConfigDecoder {
    /// Problems no single entry shows: no upstream at all, rules and purge triggers no request
    /// can reach, purges of tags no rule sets.
    mutating func checkAcrossSections(
        _ root: TableContext,
        upstreams: [DecodedEntry<UpstreamSettings>],
        rules: [DecodedEntry<RuleSettings>],
        purges: [DecodedEntry<PurgeSettings>]
    ) {
        if upstreams.isEmpty && root.entries["upstream"] == nil {
            self.report(
                root,
                "upstream",
                "no [[upstream]] is defined, so the proxy has nowhere to send requests.",
                fix: "add an [[upstream]] with name, prefix and url."
            )
        }
        // Reachability is only meaningful when every prefix is known.
        if !upstreams.isEmpty && upstreams.allSatisfy(\.isComplete) {
            let prefixes = upstreams.map(\.settings.prefix)
            // As written in the file, not expanded: a prefix made from `${NAME}` must not show the variable's value
            // (found by fuzz/proxy-conf with a secret in the environment).
            let list = upstreams.map { upstream -> String in
                if case .string(let text)? = upstream.table.entries["prefix"] { return text }
                return upstream.settings.prefix
            }.joined(separator: ", ")
            for rule in rules where rule.isComplete {
                if !prefixes.contains(where: { rule.settings.match.canMatch(underPrefix: $0) }) {
                    self.report(
                        rule.table,
                        "match",
                        "\(self.written(rule.table, "match")) is not under any upstream prefix (\(list)), "
                            + "so no request would reach this rule.",
                        fix: "start the path with an upstream prefix, or add an [[upstream]] whose prefix covers it."
                    )
                }
            }
            for purge in purges where purge.isComplete {
                guard case .array(let written) = purge.table.entries["on"] else {
                    continue
                }
                for (trigger, text) in zip(purge.settings.on, written)
                where !prefixes.contains(where: { trigger.canMatch(underPrefix: $0) }) {
                    guard case .string(let text) = text else {
                        continue
                    }
                    self.report(
                        purge.table,
                        "on",
                        "\"\(text)\" is not under any upstream prefix (\(list)), so this purge would never run.",
                        fix: "start the path with an upstream prefix, or add an [[upstream]] whose prefix covers it."
                    )
                }
            }
        }
        if rules.allSatisfy(\.isComplete) {
            let ruleTags = Array(Set(rules.flatMap(\.settings.tags))).sorted()
            for purge in purges where purge.isComplete {
                for tag in purge.settings.tags where !ruleTags.contains(tag) {
                    let fix: String
                    if let suggestion = Suggestion.closest(to: tag, in: ruleTags) {
                        fix = "did you mean \"\(suggestion)\"?"
                    } else {
                        fix = "add it to the tags of the rules whose entries this purge should drop."
                    }
                    self.report(purge.table, "tags", "\"\(tag)\" is not a tag of any rule.", fix: fix)
                }
            }
        }
    }
}
