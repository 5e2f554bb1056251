import NIOCore

/// One part of a multipart/form-data body. File parts keep only their size and a hash; plain fields keep their
/// value (up to `MultipartParser.fieldLimit` bytes), so multi-MiB uploads are never held whole.
struct MultipartPart: Sendable {
    var name: String?
    var filename: String?
    var contentType: String?
    var value: [UInt8] = []
    var size: Int = 0
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325

    var text: String { String(decoding: self.value, as: UTF8.self) }
    var isFile: Bool { self.filename != nil }
}

/// A streaming multipart/form-data parser (RFC 7578, RFC 2046 §5.1.1). Feed it body chunks as they arrive; it keeps
/// at most a delimiter's length of look-behind, plus the headers of the part being read.
struct MultipartParser: Sendable {
    // MARK: Constants

    static let fieldLimit = 1 << 20
    private static let headerLimit = 16 << 10
    private static let crlfcrlf: [UInt8] = Array("\r\n\r\n".utf8)

    // MARK: State

    private enum State {
        case seekingDelimiter(inPart: Bool)
        case afterDelimiter
        case headers
        case done
        case failed
    }

    private let delimiter: [UInt8]
    private var state: State = .seekingDelimiter(inPart: false)
    private var pending: [UInt8] = Array("\r\n".utf8)  // lets the first "--boundary" match like every later delimiter
    private var current: MultipartPart?
    private(set) var parts: [MultipartPart] = []

    /// The boundary parameter of a `multipart/form-data; boundary=...` content type.
    static func boundary(fromContentType contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingSpaces() }
        guard let type = pieces.first, type.lowercased().hasPrefix("multipart/") else { return nil }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingSpaces().lowercased() == "boundary" {
                let value = pair[1].trimmingSpaces().unquoted()
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    init(boundary: String) {
        self.delimiter = Array("\r\n--\(boundary)".utf8)
    }

    // MARK: Feeding

    mutating func feed(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { self.pending.append(contentsOf: $0) }
        self.process()
    }

    /// The parsed parts, or nil when the body did not end with the closing delimiter.
    mutating func finish() -> [MultipartPart]? {
        if case .done = self.state { return self.parts }
        return nil
    }

    // MARK: State machine

    private mutating func process() {
        while true {
            switch self.state {
            case .seekingDelimiter(let inPart):
                if let index = self.find(self.delimiter, in: self.pending) {
                    if inPart { self.append(self.pending[0..<index]); self.closePart() }
                    self.pending.removeSubrange(0..<(index + self.delimiter.count))
                    self.state = .afterDelimiter
                } else {
                    let keep = self.delimiter.count - 1
                    guard self.pending.count > keep else { return }
                    let cut = self.pending.count - keep
                    if inPart { self.append(self.pending[0..<cut]) }
                    self.pending.removeSubrange(0..<cut)
                    return
                }
            case .afterDelimiter:
                while let first = self.pending.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                    self.pending.removeFirst()  // transport padding
                }
                guard self.pending.count >= 2 else { return }
                if self.pending[0] == UInt8(ascii: "-") && self.pending[1] == UInt8(ascii: "-") {
                    self.state = .done
                } else if self.pending[0] == UInt8(ascii: "\r") && self.pending[1] == UInt8(ascii: "\n") {
                    self.pending.removeFirst(2)
                    self.state = .headers
                } else {
                    self.state = .failed
                }
            case .headers:
                if self.pending.starts(with: [UInt8(ascii: "\r"), UInt8(ascii: "\n")]) {
                    self.pending.removeFirst(2)  // a part without headers
                    self.current = MultipartPart()
                    self.state = .seekingDelimiter(inPart: true)
                } else if let end = self.find(Self.crlfcrlf, in: self.pending) {
                    self.current = self.parseHeaders(String(decoding: self.pending[0..<end], as: UTF8.self))
                    self.pending.removeSubrange(0..<(end + 4))
                    self.state = .seekingDelimiter(inPart: true)
                } else {
                    if self.pending.count > Self.headerLimit { self.state = .failed }
                    return
                }
            case .done, .failed:
                self.pending.removeAll(keepingCapacity: false)
                return
            }
        }
    }

    private mutating func append(_ bytes: ArraySlice<UInt8>) {
        guard var part = self.current, !bytes.isEmpty else { return }
        self.current = nil  // keep `part` uniquely referenced while appending
        part.size += bytes.count
        part.hash = StableHash.fnv1a(bytes, seed: part.hash)
        if !part.isFile && part.value.count < Self.fieldLimit {
            part.value.append(contentsOf: bytes.prefix(Self.fieldLimit - part.value.count))
        }
        self.current = part
    }

    private mutating func closePart() {
        if let part = self.current { self.parts.append(part) }
        self.current = nil
    }

    private func parseHeaders(_ block: String) -> MultipartPart {
        var part = MultipartPart()
        for line in block.split(separator: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let name = pair[0].trimmingSpaces().lowercased()
            let value = pair[1].trimmingSpaces()
            if name == "content-type" {
                part.contentType = value
            } else if name == "content-disposition" {
                for parameter in value.split(separator: ";").dropFirst() {
                    let kv = parameter.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2 else { continue }
                    switch kv[0].trimmingSpaces().lowercased() {
                    case "name": part.name = kv[1].trimmingSpaces().unquoted()
                    case "filename": part.filename = kv[1].trimmingSpaces().unquoted()
                    default: break
                    }
                }
            }
        }
        return part
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count, let first = needle.first else { return nil }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count && haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }
}

// MARK: - String helpers

extension StringProtocol {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }

    func unquoted() -> String {
        if self.count >= 2 && self.hasPrefix("\"") && self.hasSuffix("\"") {
            return String(self.dropFirst().dropLast())
        }
        return String(self)
    }
}
