import BodyKeying
import NIOCore
import NIOHTTP1
import Observability
import ProxyConfig

/// Whether an upstream response is a generation worth storing (`store_if_*`), and what it cost (`cost_*`). Pure:
/// the head and the body in, a reason or a number out.
enum GenerationJudge {
    /// Judges a complete response of `rule`: why it must not be stored (nil: it may be), and its cost in units (from
    /// the body when the rule reads it there, else `headUnits`).
    static func judge(
        _ rule: RuleSettings?,
        headers: HTTPHeaders,
        body: [ByteBuffer],
        headUnits: Int?
    ) -> (reason: OutcomeReason?, units: Int?) {
        guard let rule, rule.storeIf.needsBody || rule.cost.needsBody else { return (nil, headUnits) }
        let bytes = self.decodedBytes(body, headers: headers)
        var units = headUnits
        if rule.cost.needsBody, let bytes, let found = self.bodyCost(rule.cost, headers: headers, body: bytes) {
            units = found
        }
        guard rule.storeIf.needsBody else { return (nil, units) }
        guard let bytes else { return (.generation(.notJSON), units) }
        let sent = body.reduce(0) { $0 + $1.readableBytes }
        return (self.bodyVerdict(rule.storeIf, headers: headers, body: bytes, sentBytes: sent), units)
    }

    /// The media type of `Content-Type`, lower-cased, without parameters.
    static func mediaType(_ headers: HTTPHeaders) -> String? {
        guard let value = headers.first(name: "content-type") else { return nil }
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return type.trimmingASCIISpaces().lowercased()
    }

    static func isEventStream(_ headers: HTTPHeaders) -> Bool {
        self.mediaType(headers) == "text/event-stream"
    }

    /// What the head alone rules out: the content type, and a `Content-Length` under the minimum size.
    static func headVerdict(_ conditions: StoreConditions, headers: HTTPHeaders) -> OutcomeReason? {
        if !conditions.contentTypes.isEmpty {
            guard let type = self.mediaType(headers), conditions.contentTypes.contains(where: { Self.covers($0, type) })
            else { return .generation(.contentType) }
        }
        if let minSize = conditions.minSize, let length = headers.first(name: "content-length").flatMap({ Int($0) }),
            length < minSize
        {
            return .generation(.tooSmall)
        }
        return nil
    }

    /// Whether the media range `range` ("audio/*", "application/json") covers `type`.
    static func covers(_ range: String, _ type: String) -> Bool {
        if range.hasSuffix("/*") { return type.hasPrefix(range.dropLast()) }
        return range == type
    }

    /// What the complete body rules out. `body` is decoded (no content coding); `sentBytes` is its size as the
    /// upstream sent it.
    static func bodyVerdict(_ conditions: StoreConditions, headers: HTTPHeaders, body: [UInt8], sentBytes: Int) -> OutcomeReason? {
        if let minSize = conditions.minSize, sentBytes < minSize { return .generation(.tooSmall) }
        if self.isEventStream(headers), !conditions.lastEvent.isEmpty {
            guard let data = ServerSentEvents.lastEventData(body), let event = JSONParser.parse(data) else {
                return .generation(.noFinalEvent)
            }
            return self.failed(conditions.lastEvent, in: event)
        }
        guard !conditions.json.isEmpty else { return nil }
        guard let document = JSONParser.parse(body)?.finalElement else { return .generation(.notJSON) }
        return self.failed(conditions.json, in: document)
    }

    /// The detail of the first condition that `document` fails, or nil when it passes them all.
    static func failed(_ conditions: [JSONCondition], in document: JSONValue) -> OutcomeReason? {
        for condition in conditions {
            let field = document.field(at: condition.pointer)
            let holds: Bool
            switch condition.test {
            case .oneOf(let values): holds = field?.matches(oneOf: values) ?? false
            case .absent: holds = field.map { $0 == .null } ?? true
            case .present: holds = field.map { !$0.isEmpty } ?? false
            }
            if !holds { return .condition(condition.detail) }
        }
        return nil
    }

    /// The units the head alone tells: `cost_header` (a whole number) or `cost_fixed`.
    static func headCost(_ cost: CostSettings, headers: HTTPHeaders) -> Int? {
        if let fixed = cost.fixed { return fixed }
        if let name = cost.header, let value = headers.first(name: name), let units = Int(value), units >= 0 {
            return units
        }
        return nil
    }

    /// The units the complete (decoded) body tells: `cost_last_event` for an event stream, else `cost_json`; the
    /// pointers' whole numbers summed (nil when none of them is found).
    static func bodyCost(_ cost: CostSettings, headers: HTTPHeaders, body: [UInt8]) -> Int? {
        let document: JSONValue?
        let pointers: [String]
        if self.isEventStream(headers) {
            pointers = cost.lastEventPointers
            document = pointers.isEmpty ? nil : ServerSentEvents.lastEventData(body).flatMap { JSONParser.parse($0) }
        } else {
            pointers = cost.jsonPointers
            document = pointers.isEmpty ? nil : JSONParser.parse(body)?.finalElement
        }
        guard let document else { return nil }
        let found = pointers.compactMap { document.field(at: $0)?.wholeNumber }
        return found.isEmpty ? nil : found.reduce(0, +)
    }

    /// The body's bytes without its content coding (gzip, deflate); nil when it cannot be decoded.
    static func decodedBytes(_ body: [ByteBuffer], headers: HTTPHeaders) -> [UInt8]? {
        var bytes: [UInt8] = []
        guard let coding = ContentCoding.of(headers) else {
            for buffer in body { bytes.append(contentsOf: buffer.readableBytesView) }
            return bytes
        }
        guard let decoder = ContentDecoder(coding: coding, maxOutput: 64 << 20) else { return nil }
        do {
            for buffer in body {
                try decoder.decode(buffer, allocator: ByteBufferAllocator()) { bytes.append(contentsOf: $0.readableBytesView) }
            }
        } catch {
            return nil
        }
        return bytes
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
