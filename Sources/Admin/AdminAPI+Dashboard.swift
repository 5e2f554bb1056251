import CacheStore
import Crypto
import Foundation
import NIOHTTP1
import Observability
import ProxyCore

extension AdminAPI {
    // MARK: - GET /

    /// GET /: the operator dashboard, one self-contained page (`DashboardPage`). Served without the token: the page
    /// holds no data, it asks for the token and sends it with every `/stats` poll.
    func dashboard() -> Reply {
        Reply(
            status: .ok,
            json: DashboardPage.html,
            extraHeaders: DashboardPage.headers,
            contentType: "text/html; charset=utf-8"
        )
    }

    // MARK: - GET /entries

    /// GET /entries?prefix=&tag=&limit=&cursor=: the stored entries, sorted by (redacted) key, one page at a time.
    func entries(query: String) -> Reply {
        let request: EntriesQuery
        switch EntriesQuery.parse(query) {
        case .success(let parsed):
            request = parsed
        case .failure(let problem):
            return Reply(status: .badRequest, json: "{\"error\":\"\(JSONText.escape(problem.message))\"}")
        }
        var listed = self.server.storedEntries().filter { request.matches($0.entry) }.map { ListedEntry($0.entry, rule: $0.rule) }
        if let after = request.after {
            listed.removeAll { $0.order <= after }
        }
        listed.sort { $0.order < $1.order }
        let page = listed.prefix(request.limit)
        let nextCursor = listed.count > request.limit ? page.last.map { "\"\(Self.cursor(for: $0.order))\"" } : nil
        let now = self.server.now
        let items = page.map { $0.json(now: now) }.joined(separator: ",")
        return Reply(status: .ok, json: "{\"entries\":[\(items)],\"next_cursor\":\(nextCursor ?? "null")}")
    }

    /// The opaque cursor: the hex of the last listed entry's sort position.
    static func cursor(for order: String) -> String {
        order.utf8.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }

    /// Mixed into the sort position's digest, so that a cursor says nothing about what the key hashes to.
    fileprivate static let cursorSalt: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in generator.next() }
    }()
}

// MARK: - Query

/// The parameters of `GET /entries`, checked.
struct EntriesQuery: Equatable {
    static let defaultLimit = 100
    static let maxLimit = 1000

    var prefix: String?
    var tag: String?
    var limit = EntriesQuery.defaultLimit
    /// The sort position of the last entry of the previous page.
    var after: String?

    struct Problem: Error, Equatable {
        var message: String
    }

    static func parse(_ query: String) -> Result<EntriesQuery, Problem> {
        var parsed = EntriesQuery()
        var seen: Set<String> = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.percentDecoded(parts[0]),
                let value = Self.percentDecoded(parts.count > 1 ? parts[1] : "")
            else {
                return .failure(Problem(message: "bad percent-encoding in '\(pair.prefix(40))'"))
            }
            guard seen.insert(name).inserted else {
                return .failure(Problem(message: "'\(name)' is given twice; give it once"))
            }
            switch name {
            case "prefix":
                parsed.prefix = value.isEmpty ? nil : value
            case "tag":
                parsed.tag = value.isEmpty ? nil : value
            case "limit":
                guard let limit = Int(value), (1...Self.maxLimit).contains(limit) else {
                    let message = "limit must be a whole number from 1 to \(Self.maxLimit), got '\(value.prefix(20))'"
                    return .failure(Problem(message: message))
                }
                parsed.limit = limit
            case "cursor":
                guard !value.isEmpty else { continue }
                guard let after = Self.decodeCursor(value) else {
                    let message = "cursor is not one this endpoint gave out; start again without it"
                    return .failure(Problem(message: message))
                }
                parsed.after = after
            default:
                return .failure(
                    Problem(message: "unknown parameter '\(name.prefix(40))'; use prefix, tag, limit or cursor")
                )
            }
        }
        return .success(parsed)
    }

    /// `prefix` matches the target or the path; `tag` one of the entry's tags.
    func matches(_ entry: CachedResponse) -> Bool {
        if let prefix = self.prefix, !entry.target.hasPrefix(prefix), !entry.path.hasPrefix(prefix) { return false }
        if let tag = self.tag, !entry.tags.contains(tag) { return false }
        return true
    }

    /// RFC 3986 §2.1 percent-decoding (`+` stays a plus); nil for a stray `%` or bytes that are not UTF-8.
    private static func percentDecoded(_ text: Substring) -> String? {
        let encoded = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.count)
        var index = 0
        while index < encoded.count {
            if encoded[index] == UInt8(ascii: "%") {
                guard index + 2 < encoded.count, let high = Self.nibble(encoded[index + 1]),
                    let low = Self.nibble(encoded[index + 2])
                else { return nil }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(encoded[index])
                index += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func decodeCursor(_ text: String) -> String? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0, digits.count <= 16_384 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

// MARK: - Listed entry

/// One entry as `/entries` shows it: the partition shortened wherever it appears.
private struct ListedEntry {
    let entry: CachedResponse
    let key: String
    let partition: String
    let rule: String
    /// Sort position: the shown key, then a salted digest of the whole key and its `Vary` values, so that entries
    /// whose shown keys are equal still have one stable order.
    let order: String

    init(_ entry: CachedResponse, rule: String) {
        self.entry = entry
        self.rule = rule
        self.partition = Self.shortened(entry.partition)
        self.key =
            self.partition == entry.partition
            ? entry.key : entry.key.replacingOccurrences(of: entry.partition, with: self.partition)
        var hasher = SHA256()
        hasher.update(data: AdminAPI.cursorSalt)
        hasher.update(data: Array(entry.key.utf8))
        for field in entry.vary.entries {
            hasher.update(data: [0x1E] + Array(field.name.utf8) + [0x1F] + Array((field.value ?? "").utf8))
        }
        let digest = hasher.finalize().prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
        self.order = self.key + "\u{0}" + digest
    }

    /// "…" and the last 8 characters: enough to tell partitions apart in a list.
    static func shortened(_ partition: String) -> String {
        partition.count > 8 ? "…" + partition.suffix(8) : partition
    }

    func json(now: Double) -> String {
        let tags = self.entry.tags.map { "\"\(JSONText.escape($0))\"" }.joined(separator: ",")
        return "{\"key\":\"\(JSONText.escape(self.key))\","
            + "\"target\":\"\(JSONText.escape(self.entry.target))\","
            + "\"partition\":\"\(JSONText.escape(self.partition))\",\"status\":\(self.entry.status),"
            + "\"bytes\":\(self.entry.bodyLength),\"rule\":\"\(JSONText.escape(self.rule))\","
            + "\"tags\":[\(tags)],\"ttl\":\(self.entry.freshness.ttlSeconds(now: now))}"
    }
}
