// MARK: - Document, [server], [cache]

extension ConfigDecoder {
    /// Decodes a whole document; nil when any problem was reported.
    mutating func decode(_ root: [String: TOMLNode]) -> ProxyConfiguration? {
        let rootTable = TableContext(section: .root, path: "", schema: nil, entries: root)
        self.checkSections(rootTable)
        let serverTable = self.table(rootTable, ConfigSchema.server)
        let server = self.decodeServer(serverTable)
        let cache = self.decodeCache(self.table(rootTable, ConfigSchema.cache))
        let log = self.decodeLog(self.table(rootTable, ConfigSchema.log))
        let metrics = self.decodeMetrics(self.table(rootTable, ConfigSchema.metrics))
        let redis = rootTable.entries["redis"] == nil ? nil : self.decodeRedis(self.table(rootTable, ConfigSchema.redis))
        let upstreams = self.decodeUpstreams(self.entries(rootTable, ConfigSchema.upstream))
        let rules = self.decodeRules(self.entries(rootTable, ConfigSchema.rule))
        let purges = self.decodePurges(self.entries(rootTable, ConfigSchema.purge))
        self.checkAcrossSections(rootTable, upstreams: upstreams, rules: rules, purges: purges)
        guard self.problems.isEmpty else {
            return nil
        }
        // Addresses that came from the environment appear as written.
        let summary = ProxyConfiguration.makeSummary(
            upstreamNames: upstreams.map(\.settings.name),
            ruleCount: rules.count,
            bodyKeyedRuleCount: rules.filter(\.settings.cacheBody).count,
            purgeCount: purges.count,
            listen: server.listenText ?? server.settings.listen.description,
            admin: server.adminText ?? server.settings.adminListen?.description
        )
        return ProxyConfiguration(
            server: server.settings,
            cache: cache,
            upstreams: upstreams.map(\.settings),
            rules: rules.map(\.settings),
            purges: purges.map(\.settings),
            log: log,
            metrics: metrics,
            redis: redis,
            summary: summary,
            warnings: ConfigLoader.ordered(self.warnings)
        )
    }

    private mutating func checkSections(_ root: TableContext) {
        let names = ConfigSchema.sections.map(\.name)
        for key in root.entries.keys.sorted() where ConfigSchema.section(named: key) == nil {
            let node = root.entries[key]
            let isArray: Bool
            if case .array(let elements) = node, let first = elements.first, case .table = first {
                isArray = true
            } else {
                isArray = false
            }
            if case .table = node {
            } else if !isArray {
                let owner = ConfigSchema.sections.first(where: { $0.example(for: key) != nil })
                self.report(
                    root,
                    key,
                    "unknown key at the top of the file.",
                    fix: owner.map { "move it under \($0.header)." } ?? "remove it, or move it into a section."
                )
                continue
            }
            let header = isArray ? "[[\(key)]]" : "[\(key)]"
            let line =
                self.locator.line(of: LineLocator.Section(name: key, index: isArray ? 0 : nil))
                ?? self.locator.line(of: key, in: .root)
            let fix: String
            if let suggestion = Suggestion.closest(to: key, in: names) {
                fix = "did you mean \(ConfigSchema.section(named: suggestion)!.header)?"
            } else {
                let headers = ConfigSchema.sections.map(\.header)
                fix = "remove it; proxy.conf has \(headers.dropLast().joined(separator: ", ")) and \(headers.last!)."
            }
            self.append(
                ConfigProblem(file: self.file, line: line, key: "", message: "unknown section \(header).", fix: fix)
            )
        }
    }

    /// The `[name]` table, or an empty one when absent or of the wrong shape (reported).
    private mutating func table(_ root: TableContext, _ schema: ConfigSchema.Section) -> TableContext {
        let section = LineLocator.Section(name: schema.name, index: nil)
        var table = TableContext(section: section, path: schema.name, schema: schema, entries: [:])
        guard let node = root.entries[schema.name] else {
            return table
        }
        guard case .table(let entries) = node else {
            let line =
                self.locator.line(of: LineLocator.Section(name: schema.name, index: 0))
                ?? self.locator.line(of: schema.name, in: .root)
            self.report(
                table,
                nil,
                line: line,
                "must be a single table, not \(node.kindDescription).",
                fix: "write \(schema.header) once, followed by its keys."
            )
            return table
        }
        table.entries = entries
        self.checkKeys(table)
        return table
    }

    /// The `[[name]]` entries, 0-based; empty when absent or of the wrong shape (reported).
    private mutating func entries(_ root: TableContext, _ schema: ConfigSchema.Section) -> [TableContext] {
        guard let node = root.entries[schema.name] else {
            return []
        }
        var result: [TableContext] = []
        if case .array(let elements) = node {
            for (index, element) in elements.enumerated() {
                guard case .table(let entries) = element else {
                    break
                }
                let section = LineLocator.Section(name: schema.name, index: index)
                result.append(
                    TableContext(
                        section: section, path: "\(schema.name)[\(index + 1)]", schema: schema, entries: entries)
                )
            }
            if result.count == elements.count {
                return result
            }
        }
        let table = TableContext(section: .root, path: schema.name, schema: schema, entries: [:])
        self.report(
            table,
            nil,
            line: self.locator.line(of: LineLocator.Section(name: schema.name, index: nil))
                ?? self.locator.line(of: schema.name, in: .root),
            "must be an array of tables, not \(node.kindDescription).",
            fix: "write \(schema.header) before each entry."
        )
        return []
    }

    // MARK: - [server]

    private mutating func decodeServer(
        _ table: TableContext
    ) -> (settings: ServerSettings, listenText: String?, adminText: String?) {
        var settings = ServerSettings()
        var listenText: String?
        var adminText: String?
        if let listen = self.string(table, "listen"), let address = self.parse(table, "listen", listen, HostPort.parse)
        {
            settings.listen = address
            listenText = listen.fromEnvironment ? listen.written : nil
        }
        if let admin = self.string(table, "admin_listen"),
            let address = self.parse(table, "admin_listen", admin, HostPort.parse)
        {
            settings.adminListen = address
            adminText = admin.fromEnvironment ? admin.written : nil
            if address == settings.listen && address.port != 0 {
                self.report(
                    table,
                    "admin_listen",
                    "\(admin.display) is the same address as listen.",
                    fix: "give the admin API its own port, e.g. \"127.0.0.1:9090\"."
                )
            }
        }
        settings.adminToken = self.string(table, "admin_token")?.value
        if let token = settings.adminToken, token.count < 16 {
            self.report(
                table,
                "admin_token",
                "is too short: an admin token needs at least 16 characters.",
                fix: "use a long random token, e.g. from `openssl rand -hex 24`."
            )
        }
        if settings.adminListen != nil && table.entries["admin_token"] == nil {
            self.report(
                table,
                "admin_token",
                line: self.locator.line(of: "admin_listen", in: table.section),
                "is required when admin_listen is set.",
                fix: "add admin_token = \"${REPRISE_ADMIN_TOKEN}\" and export "
                    + "REPRISE_ADMIN_TOKEN=<16+ random characters>."
            )
        }
        settings.maxRequestBody = self.size(table, "max_request_body") ?? settings.maxRequestBody
        settings.maxHeaderBytes = self.size(table, "max_header_bytes") ?? settings.maxHeaderBytes
        settings.shutdownTimeout = self.duration(table, "shutdown_timeout") ?? settings.shutdownTimeout
        self.decodeClientLimits(table, into: &settings)
        return (settings, listenText, adminText)
    }

    // MARK: - [cache]

    private mutating func decodeCache(_ table: TableContext) -> CacheSettings {
        var settings = CacheSettings()
        let memory = self.size(table, "memory")
        let maxObject = self.size(table, "max_object")
        settings.memory = memory ?? settings.memory
        settings.maxObject = maxObject ?? settings.maxObject
        if settings.maxObject > settings.memory && (memory != nil || table.entries["memory"] == nil)
            && (maxObject != nil || table.entries["max_object"] == nil)
        {
            let objectText = table.entries["max_object"] == nil ? "the default 8MiB" : self.written(table, "max_object")
            let memoryText = table.entries["memory"] == nil ? "the default 256MiB" : self.written(table, "memory")
            self.report(
                table,
                table.entries["max_object"] == nil ? "memory" : "max_object",
                "max_object (\(objectText)) is larger than memory (\(memoryText)).",
                fix: "make max_object at most memory, or raise memory."
            )
        }
        settings.staleWhileRevalidate = self.duration(table, "stale_while_revalidate")
        settings.staleIfError = self.duration(table, "stale_if_error")
        settings.coalesceTimeout = self.duration(table, "coalesce_timeout", positive: true) ?? settings.coalesceTimeout
        settings.clientRefresh = self.choice(table, "client_refresh", noun: "client refresh mode") ?? settings.clientRefresh
        settings.keySecret = self.string(table, "key_secret")?.value
        if let secret = settings.keySecret, secret.utf8.count < 16 {
            self.report(
                table,
                "key_secret",
                "is too short: the credential-hashing secret needs at least 16 bytes.",
                fix: "use a long random secret, e.g. from `openssl rand -hex 32`."
            )
        }
        return settings
    }

    /// A scalar as written in the file, for messages: strings quoted, integers bare.
    func written(_ table: TableContext, _ key: String) -> String {
        switch table.entries[key] {
        case .string(let text): return "\"\(text)\""
        case .integer(let number): return "\(number)"
        default: return key
        }
    }
}
