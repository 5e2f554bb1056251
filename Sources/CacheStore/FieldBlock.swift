import HTTPCaching
import NIOCore
import NIOHTTP1

/// The encoded form of a stored response's identity and fields (see `CachedResponse`): one allocation, sized exactly,
/// that the body (when it is inlined) follows.
enum FieldBlock {
    struct Encoded {
        var storage: ByteBuffer
        var layout: CachedResponse.Layout
        var contentCoding: String?
        var keyID: UInt64
    }

    static let cacheControlPrefix: StaticString = "cache-control: "

    /// Writes the key, the target (unless the key holds it right after its method), the fields in three runs (sent
    /// on hits; `cache-control:` lines; targeted fields), and reserves room for `reservingBody` more bytes.
    static func encode(
        key: String,
        target: String,
        headers: HTTPHeaders,
        reservingBody bodyBytes: Int
    ) -> Encoded {
        let keyBytes = key.utf8.count
        let targetBytes = target.utf8.count
        let targetOffset = Self.offset(of: target, inKey: key)
        var wireBytes = 0
        var cacheControlBytes = 0
        var keptBytes = 0
        for (name, value) in headers {
            let line = name.utf8.count + value.utf8.count + 4
            switch Self.kind(of: name) {
            case .wire: wireBytes += line
            case .cacheControl: cacheControlBytes += 15 + value.utf8.count + 2
            case .kept: keptBytes += line
            }
        }
        let capacity = keyBytes + (targetOffset == nil ? targetBytes : 0) + wireBytes + cacheControlBytes + keptBytes + bodyBytes
        var storage = ExactBuffer.make(capacity: capacity)
        storage.writeString(key)
        let targetStart = targetOffset ?? storage.writerIndex
        if targetOffset == nil { storage.writeString(target) }
        let wireStart = storage.writerIndex

        var locator = ValueLocator()
        var codings: [String] = []
        var keyID: UInt64 = 0
        for (name, value) in headers where Self.kind(of: name) == .wire {
            storage.writeString(name)
            storage.writeStaticString(": ")
            let valueStart = storage.writerIndex
            storage.writeString(value)
            storage.writeStaticString("\r\n")
            locator.saw(name: name, value: value, at: valueStart)
            if name.utf8.count == 16, FieldName.equals(name, "content-encoding") {
                codings += Self.codings(value)
            } else if name.utf8.count == 17, FieldName.equals(name, "reprise-cache-key") {
                keyID = KeyID.parse(value) ?? 0
            }
        }
        let cacheControlStart = storage.writerIndex
        for (name, value) in headers where Self.kind(of: name) == .cacheControl {
            storage.writeStaticString(Self.cacheControlPrefix)
            storage.writeString(value)
            storage.writeStaticString("\r\n")
        }
        let keptStart = storage.writerIndex
        for (name, value) in headers where Self.kind(of: name) == .kept {
            storage.writeString(name)
            storage.writeStaticString(": ")
            storage.writeString(value)
            storage.writeStaticString("\r\n")
        }
        let layout = CachedResponse.Layout(
            keyLength: UInt32(keyBytes),
            targetStart: UInt32(targetStart),
            targetLength: UInt32(targetBytes),
            wireStart: UInt32(wireStart),
            wireLength: UInt32(cacheControlStart - wireStart),
            cacheControlLength: UInt32(keptStart - cacheControlStart),
            keptLength: UInt32(storage.writerIndex - keptStart),
            etagStart: UInt32(locator.etag?.start ?? 0),
            etagLength: UInt32(locator.etag?.length ?? 0),
            lastModifiedStart: UInt32(locator.lastModified?.start ?? 0),
            lastModifiedLength: UInt32(locator.lastModified?.length ?? 0)
        )
        return Encoded(
            storage: storage,
            layout: layout,
            contentCoding: codings.isEmpty ? nil : codings.joined(separator: ", "),
            keyID: keyID
        )
    }

    private enum Kind {
        case wire
        case cacheControl
        case kept
    }

    private static func kind(of name: String) -> Kind {
        let count = name.utf8.count
        // Only names of these lengths can be one of the three (no lower-casing for the other fields).
        guard count == 13 || count == 17 || count == 21 else { return .wire }
        if count == 13 { return FieldName.equals(name, "cache-control") ? .cacheControl : .wire }
        if count == 17 { return FieldName.equals(name, "cdn-cache-control") ? .kept : .wire }
        return FieldName.equals(name, "reprise-cache-control") ? .kept : .wire
    }

    /// Where the target starts in the key, when the key is "METHOD <target> …" (every key the proxy makes).
    private static func offset(of target: String, inKey key: String) -> Int? {
        let keyBytes = key.utf8
        guard let space = keyBytes.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        let start = keyBytes.index(after: space)
        let rest = keyBytes[start...]
        guard rest.starts(with: target.utf8) else { return nil }
        let end = rest.index(start, offsetBy: target.utf8.count)
        guard end == rest.endIndex || keyBytes[end] == UInt8(ascii: " ") else { return nil }
        return keyBytes.distance(from: keyBytes.startIndex, to: start)
    }

    /// `Content-Encoding` codings, lower-cased, without `identity`.
    private static func codings(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
    }

    /// Finds the first `ETag` and `Last-Modified` values as they were written, trimmed of whitespace (as
    /// `StoredResponseInfo` reads them).
    private struct ValueLocator {
        var etag: (start: Int, length: Int)?
        var lastModified: (start: Int, length: Int)?

        mutating func saw(name: String, value: String, at start: Int) {
            if self.etag == nil, name.utf8.count == 4, FieldName.equals(name, "etag") {
                self.etag = Self.trimmed(value, at: start)
            } else if self.lastModified == nil, name.utf8.count == 13, FieldName.equals(name, "last-modified") {
                self.lastModified = Self.trimmed(value, at: start)
            }
        }

        private static func trimmed(_ value: String, at start: Int) -> (start: Int, length: Int) {
            let bytes = Array(value.utf8)
            let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            let first = bytes.firstIndex { !isSpace($0) } ?? bytes.count
            let last = bytes.lastIndex { !isSpace($0) }.map { $0 + 1 } ?? first
            return (start + first, max(0, last - first))
        }
    }

    // MARK: - Reading

    /// The `name: value\r\n` lines in `buffer[start..<start + length]`.
    static func fields(in buffer: ByteBuffer, at start: Int, length: Int) -> [(name: String, value: String)] {
        guard length > 0, let view = buffer.viewBytes(at: start, length: length) else { return [] }
        var fields: [(name: String, value: String)] = []
        var lineStart = view.startIndex
        var index = view.startIndex
        while index < view.endIndex {
            if view[index] == UInt8(ascii: "\r") {
                let line = view[lineStart..<index]
                if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                    let name = String(decoding: line[lineStart..<colon], as: UTF8.self)
                    var valueStart = line.index(after: colon)
                    if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") {
                        valueStart = line.index(after: valueStart)
                    }
                    fields.append((name, String(decoding: line[valueStart...], as: UTF8.self)))
                }
                index = view.index(index, offsetBy: 2, limitedBy: view.endIndex) ?? view.endIndex
                lineStart = index
            } else {
                index = view.index(after: index)
            }
        }
        return fields
    }
}

extension FieldBlock {
    /// Calls `body` with each line's name and the line itself (a slice, `\r\n` included).
    static func forEachLine(in buffer: ByteBuffer, at start: Int, length: Int, _ body: (String, ByteBuffer) -> Void) {
        guard length > 0, let view = buffer.viewBytes(at: start, length: length) else { return }
        var lineStart = view.startIndex
        var index = view.startIndex
        while index < view.endIndex {
            if view[index] == UInt8(ascii: "\n") {
                let line = view[lineStart...index]
                if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                    let name = String(decoding: line[lineStart..<colon], as: UTF8.self)
                    let offset = start + view.distance(from: view.startIndex, to: lineStart)
                    body(name, buffer.getSlice(at: offset, length: line.count)!)
                }
                lineStart = view.index(after: index)
            }
            index = view.index(after: index)
        }
    }

    /// The first value of the field `name` (any case).
    static func firstValue(named name: String, in buffer: ByteBuffer, at start: Int, length: Int) -> String? {
        let wanted = name.lowercased()
        for (fieldName, value) in Self.fields(in: buffer, at: start, length: length) where fieldName.utf8.count == wanted.utf8.count {
            if fieldName.lowercased() == wanted { return value }
        }
        return nil
    }
}

/// `Reprise-Cache-Key` values: 16 lower-case hex digits of a 64-bit number.
enum KeyID {
    static func parse(_ text: String) -> UInt64? {
        guard text.utf8.count == 16 else { return nil }
        return UInt64(text, radix: 16)
    }

    static func format(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.utf8.count) + digits
    }
}
