import Foundation

/// A decoded `[[...]]` entry with the table it came from; `isComplete` when it raised no problem,
/// so cross-section checks can skip broken entries instead of piling on follow-up errors.
struct DecodedEntry<Settings> {
    var settings: Settings
    var table: TableContext
    var isComplete: Bool
}

// MARK: - [[upstream]]

extension ConfigDecoder {
    static let namePattern = "lower-case letters, digits, _ and -"

    mutating func decodeUpstreams(_ tables: [TableContext]) -> [DecodedEntry<UpstreamSettings>] {
        var result: [DecodedEntry<UpstreamSettings>] = []
        var namesSeen: [String: TableContext] = [:]
        var prefixesSeen: [String: TableContext] = [:]
        for var table in tables {
            let problemCount = self.problems.count
            let name = self.entryName(&table, example: "\"elevenlabs\"", seen: &namesSeen, noun: "upstream")
            self.checkKeys(table)
            var settings = UpstreamSettings(
                name: name ?? "",
                prefix: "/",
                url: UpstreamURL(scheme: "http", host: "invalid")
            )
            if let prefix = self.requiredString(table, "prefix"),
                let valid = self.parse(table, "prefix", prefix, Self.prefix)
            {
                settings.prefix = valid
                if let other = prefixesSeen[valid] {
                    self.report(
                        table,
                        "prefix",
                        "\(prefix.display) is already the prefix of \(other.path) (line \(self.headerLine(other))).",
                        fix: "give each upstream its own prefix."
                    )
                }
                prefixesSeen[valid] = prefixesSeen[valid] ?? table
            }
            let url = self.requiredString(table, "url").flatMap { self.parse(table, "url", $0, UpstreamURL.parse) }
            settings.url = url ?? settings.url
            settings.keyHeaders = self.headerNames(table, "key_headers") ?? []
            if let caFile = self.string(table, "ca_file") {
                settings.caFile = self.checkCAFile(table, caFile, url: url)
            }
            settings.connectTimeout = self.duration(table, "connect_timeout", positive: true) ?? settings.connectTimeout
            settings.readTimeout = self.duration(table, "read_timeout", positive: true) ?? settings.readTimeout
            settings.idleTimeout = self.duration(table, "idle_timeout", positive: true) ?? settings.idleTimeout
            settings.maxUpstreamHeaderBytes =
                self.size(table, "max_upstream_header_bytes", within: UpstreamSettings.upstreamHeaderBytesRange)
                ?? settings.maxUpstreamHeaderBytes
            settings.keyQueryParams = self.queryParamNames(table, "key_query_params") ?? []
            settings.keyJWTClaim = self.jwtClaimKey(table, "key_jwt_claim")
            result.append(
                DecodedEntry(settings: settings, table: table, isComplete: self.problems.count == problemCount))
        }
        return result
    }

    /// Decodes and checks the `name` of an entry; on success the table's path becomes `noun[name]`.
    mutating func entryName(
        _ table: inout TableContext,
        example: String,
        seen: inout [String: TableContext],
        noun: String
    ) -> String? {
        guard let name = self.requiredString(table, "name", expand: false) else {
            return nil
        }
        guard !name.value.isEmpty,
            name.value.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-") })
        else {
            self.report(
                table,
                "name",
                "\(name.display) is not a valid name.",
                fix: "use \(Self.namePattern), e.g. \(example)."
            )
            return nil
        }
        if let other = seen[name.value] {
            self.report(
                table,
                "name",
                "\(name.display) is already the name of the \(noun) at line \(self.headerLine(other)).",
                fix: "give each \(noun) its own name."
            )
            return name.value
        }
        seen[name.value] = table
        table.path = "\(noun)[\(name.value)]"
        return name.value
    }

    func headerLine(_ table: TableContext) -> Int {
        self.locator.line(of: table.section) ?? 0
    }

    /// A lower-cased list of header names.
    mutating func headerNames(_ table: TableContext, _ key: String) -> [String]? {
        guard let names = self.stringArray(table, key) else {
            return nil
        }
        for name in names where !Self.isHeaderName(name.value) {
            self.reportBadHeaderName(table, key, name)
            return nil
        }
        return names.map { $0.value.lowercased() }
    }

    /// One lower-cased header name.
    mutating func headerName(_ table: TableContext, _ key: String) -> String? {
        guard let name = self.string(table, key) else {
            return nil
        }
        guard Self.isHeaderName(name.value) else {
            self.reportBadHeaderName(table, key, name)
            return nil
        }
        return name.value.lowercased()
    }

    /// An HTTP field name: a non-empty token (RFC 9110 §5.1).
    static func isHeaderName(_ text: String) -> Bool {
        let tokenCharacters = "!#$%&'*+-.^_`|~"
        return !text.isEmpty
            && text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || tokenCharacters.contains($0)) })
    }

    private mutating func reportBadHeaderName(_ table: TableContext, _ key: String, _ name: ConfigString) {
        self.report(
            table, key, "\(name.display) is not a header name.", fix: "write a header name such as \"xi-api-key\".")
    }

    /// "/" or "/a/b": literal segments, no trailing slash.
    static func prefix(_ text: String) throws(ValueError) -> String {
        guard text.hasPrefix("/") else {
            throw ValueError(reason: "does not start with \"/\"", fix: "write \"/\(text)\".")
        }
        if text != "/" && text.hasSuffix("/") {
            var trimmed = text
            while trimmed.count > 1 && trimmed.hasSuffix("/") {
                trimmed.removeLast()
            }
            throw ValueError(reason: "ends with \"/\"", fix: "write \"\(trimmed)\".")
        }
        if text.contains(where: { "*?# \t".contains($0) }) || text.contains("//") {
            throw ValueError(
                reason: "is not a literal path",
                fix: "write a path such as \"/elevenlabs\", without wildcards, query, spaces or \"//\"."
            )
        }
        return text
    }

    /// Checks `ca_file` and returns its path, resolved against the config's directory when relative.
    private mutating func checkCAFile(_ table: TableContext, _ caFile: ConfigString, url: UpstreamURL?) -> String? {
        guard url?.isTLS ?? true else {
            self.report(
                table,
                "ca_file",
                "is set, but the upstream url is http, not https.",
                fix: "remove ca_file, or use an https:// url."
            )
            return nil
        }
        return self.readableFile(table, "ca_file", caFile)
    }

    /// The path of a file a key names (`ca_file`, `public_key_file`), resolved against the config's directory
    /// when relative; nil (reported) when it is missing, a directory or unreadable.
    mutating func readableFile(_ table: TableContext, _ key: String, _ file: ConfigString) -> String? {
        var path = file.value
        if !path.hasPrefix("/"), let base = self.baseDirectory {
            path = URL(fileURLWithPath: base).appendingPathComponent(path).path
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            self.report(
                table,
                key,
                "\(file.display) does not exist.",
                fix: "check the path; a relative path is read from the directory of the config file."
            )
            return nil
        }
        guard !isDirectory.boolValue else {
            self.report(table, key, "\(file.display) is a directory.", fix: "name the PEM file itself.")
            return nil
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            self.report(
                table,
                key,
                "\(file.display) is not readable.",
                fix: "let the user that runs reprise read it."
            )
            return nil
        }
        return path
    }
}
