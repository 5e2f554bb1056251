// MARK: - [redis]

extension ConfigDecoder {
    mutating func decodeRedis(_ table: TableContext) -> RedisSettings? {
        guard let url = self.requiredString(table, "url") else { return nil }
        let endpoint: RedisEndpoint
        do {
            endpoint = try RedisEndpoint.parse(url.value)
        } catch {
            // Never echo a URL that may hold a password.
            let shown = url.fromEnvironment ? url.display : "\"\(Self.redactingPassword(url.written))\""
            self.report(table, "url", "\(shown) \(error.reason).", fix: error.fix)
            return nil
        }
        if endpoint.password != nil, !url.fromEnvironment {
            self.report(
                table,
                "url",
                "holds a password in plain text.",
                fix: "keep secrets out of the file: write url = \"redis://:${REDIS_PASSWORD}@\(endpoint.host):\(endpoint.port)/\(endpoint.database)\" "
                    + "and export REDIS_PASSWORD."
            )
        }
        var settings = RedisSettings(endpoint: endpoint)
        if let prefix = self.string(table, "key_prefix") {
            if prefix.value.isEmpty || prefix.value.contains(where: { $0 == " " || $0.isNewline }) {
                self.reportInvalid(table, "key_prefix", prefix, reason: "must be non-empty, without spaces", fix: "write key_prefix = \"reprise:\".")
            } else {
                settings.keyPrefix = prefix.value
            }
        }
        settings.connectTimeout = self.duration(table, "connect_timeout", positive: true) ?? settings.connectTimeout
        settings.commandTimeout = self.duration(table, "command_timeout", positive: true) ?? settings.commandTimeout
        settings.purgeAckTimeout = self.duration(table, "purge_ack_timeout") ?? settings.purgeAckTimeout
        settings.maxObject = self.size(table, "max_object") ?? settings.maxObject
        settings.coalesceLease = self.duration(table, "coalesce_lease", positive: true) ?? settings.coalesceLease
        return settings
    }

    /// `redis://user:secret@host` → `redis://user:***@host`.
    static func redactingPassword(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url.lastIndex(of: "@"), at > schemeEnd.upperBound else { return url }
        let userinfo = url[schemeEnd.upperBound..<at]
        let user = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(url[..<schemeEnd.upperBound]) + user + ":***" + String(url[at...])
    }
}
