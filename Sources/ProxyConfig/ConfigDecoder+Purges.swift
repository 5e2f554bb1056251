// MARK: - [[purge]]

extension ConfigDecoder {
    mutating func decodePurges(_ tables: [TableContext]) -> [DecodedEntry<PurgeSettings>] {
        var result: [DecodedEntry<PurgeSettings>] = []
        var namesSeen: [String: TableContext] = [:]
        for var table in tables {
            let problemCount = self.problems.count
            let name = self.entryName(&table, example: "\"voice-clone-writes\"", seen: &namesSeen, noun: "purge")
            self.checkKeys(table)
            var settings = PurgeSettings(name: name ?? "", on: [], line: self.headerLine(table))
            if table.entries["on"] == nil {
                self.report(
                    table,
                    nil,
                    "missing required key on.",
                    fix: "add on = [\"POST /elevenlabs/v1/voices/add\"], the writes that trigger this purge."
                )
            } else if let triggers = self.stringArray(table, "on") {
                if triggers.isEmpty {
                    self.report(
                        table,
                        "on",
                        "is empty, so this purge would never run.",
                        fix: "list the writes that trigger it, e.g. on = [\"POST /elevenlabs/v1/voices/add\"]."
                    )
                }
                settings.on = triggers.compactMap { self.pattern(table, "on", $0, requireMethod: true) }
            }
            settings.tags = self.tags(table, "tags") ?? []
            for path in self.stringArray(table, "paths") ?? [] {
                if !path.value.hasPrefix("/"), let slash = path.value.firstIndex(of: "/"),
                    path.value[..<slash].hasSuffix(" ")
                {
                    let bare = path.value[slash...]
                    self.report(
                        table,
                        "paths",
                        "\(path.display) has a method, but paths are matched whatever the method.",
                        fix: "write \"\(bare)\"."
                    )
                } else if let pattern = self.pattern(table, "paths", path, requireMethod: false) {
                    settings.paths.append(pattern)
                }
            }
            for prefix in self.stringArray(table, "prefixes") ?? [] {
                if let valid = self.parse(table, "prefixes", prefix, Self.prefix) {
                    settings.prefixes.append(valid)
                }
            }
            if let scope = self.string(table, "scope") {
                if let valid = PurgeScope(rawValue: scope.value) {
                    settings.scope = valid
                } else {
                    self.report(
                        table,
                        "scope",
                        "\(scope.display) is not a purge scope.",
                        fix: "write \"writer\" (only the writing credential's entries) or \"all\"."
                    )
                }
            }
            let targets = ["tags", "paths", "prefixes"]
            if targets.allSatisfy({ table.entries[$0] == nil }) {
                self.report(
                    table,
                    nil,
                    "purges nothing: it has no tags, paths or prefixes.",
                    fix: "add tags = [\"voices\"], paths or prefixes."
                )
            }
            result.append(
                DecodedEntry(settings: settings, table: table, isComplete: self.problems.count == problemCount))
        }
        return result
    }
}
