import HTTPCaching
import NIOCore
import NIOHTTP1

/// One stored response: immutable once built, shared by every hit (the body buffers are never copied on a hit).
public final class CachedResponse: Sendable {
    /// Primary cache key (method class + target + credential partition [+ body hash]).
    public let key: String
    /// Client-visible path without query; the purge index groups entries by it.
    public let path: String
    /// Client-visible path with query, as the entry was requested.
    public let target: String
    /// HMAC of the credential values the route keys on ("-" when none); never a credential itself.
    public let partition: String
    /// Secondary key (RFC 9111 §4.1); empty when the response has no `Vary`.
    public let vary: VaryKey
    public let status: Int
    /// End-to-end response fields as the upstream sent them (hop-by-hop and `Age` removed).
    public let headers: HTTPHeaders
    /// The body as it arrived, in one or more buffers.
    public let body: [ByteBuffer]
    public let bodyLength: Int
    public let info: StoredResponseInfo
    public let tags: [String]
    /// Name of the rule that stored it (for stats and logs), or the empty string.
    public let rule: String
    /// When the store may drop the entry (epoch seconds): end of freshness plus every stale window.
    public let evictAt: Double
    /// Bytes charged against the memory budget.
    public let cost: Int
    /// The status line for HTTP/1.1, encoded once.
    public let statusLine: ByteBuffer
    /// Every stored field except `Cache-Control`, encoded once as `name: value\r\n` lines: a hit writes it as is.
    public let wireHeaders: ByteBuffer
    /// The stored `Cache-Control` lines, written on a hit unless the route replaces them for clients.
    public let cacheControl: [String]
    /// Fields the route keeps out of hits (usage headers that describe the original generation).
    public let omittedOnHits: Set<String>
    /// The upstream streamed it without a length (chunked): replays keep that framing and its chunk boundaries.
    public let chunked: Bool
    /// What this response cost upstream (e.g. ElevenLabs `character-cost`): every hit saves it again.
    public let savedCost: Int
    /// The stored body's content coding, lower-cased (`gzip`); nil when it has none (or `identity`). A hit checks
    /// that the client accepts it.
    public let contentCoding: String?
    /// The entry's short name (`Reprise-Cache-Key`), or "" when it has none.
    public let keyID: String

    public init(
        key: String,
        path: String,
        target: String,
        partition: String,
        vary: VaryKey,
        status: Int,
        headers: HTTPHeaders,
        body: [ByteBuffer],
        info: StoredResponseInfo,
        tags: [String],
        rule: String,
        evictAt: Double,
        omittedOnHits: Set<String> = [],
        savedCost: Int = 0,
        chunked: Bool = false
    ) {
        self.chunked = chunked
        self.key = key
        self.path = path
        self.target = target
        self.partition = partition
        self.vary = vary
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyLength = body.reduce(0) { $0 + $1.readableBytes }
        self.info = info
        self.tags = tags
        self.rule = rule
        self.evictAt = evictAt
        let status = HTTPResponseStatus(statusCode: status)
        var statusLine = ByteBuffer()
        statusLine.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        self.statusLine = statusLine
        var wire = ByteBuffer()
        var cacheControl: [String] = []
        var codings: [String] = []
        var keyID = ""
        for (name, value) in headers {
            let lowercased = name.lowercased()
            if lowercased == "cache-control" {
                cacheControl.append(value)
                continue
            }
            if lowercased == "content-encoding" {
                codings += value.split(separator: ",").map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
                    .filter { !$0.isEmpty && $0 != "identity" }
            } else if lowercased == "reprise-cache-key" {
                keyID = value
            }
            if Self.fieldsKeptFromClients.contains(lowercased) || omittedOnHits.contains(lowercased) { continue }
            wire.writeString(name)
            wire.writeStaticString(": ")
            wire.writeString(value)
            wire.writeStaticString("\r\n")
        }
        self.wireHeaders = wire
        self.contentCoding = codings.isEmpty ? nil : codings.joined(separator: ", ")
        self.keyID = keyID
        self.savedCost = savedCost
        self.omittedOnHits = omittedOnHits
        self.cacheControl = cacheControl
        self.cost = Self.overhead + wire.readableBytes + key.utf8.count + target.utf8.count
            + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
            + body.reduce(0) { $0 + $1.capacity }
    }

    /// Targeted cache-control fields (RFC 9213) are for Reprise: stored for revalidation, never sent on.
    public static let fieldsKeptFromClients: Set<String> = ["reprise-cache-control", "cdn-cache-control"]

    /// Fixed per-entry charge for the object, its index slots and bookkeeping.
    static let overhead = 512
}
