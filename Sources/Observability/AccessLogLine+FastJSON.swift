import HTTPCaching

/// The JSON line written byte by byte straight into the string's own storage: the same text as
/// `json(fields(of:))`, without intermediate strings, arrays or a `gmtime_r` call (it runs on the event loop for
/// every request when the access log is on).
extension AccessLogLine {
    public static func fastJSON(_ record: RequestRecord) -> String {
        var cache = TimestampCache()
        return self.fastJSON(record, cache: &cache)
    }

    /// `cache` keeps the formatted date and time of the last second seen: lines of the same second copy it.
    public static func fastJSON(_ record: RequestRecord, cache: inout TimestampCache) -> String {
        // Escaping writes at most 6 bytes per input byte (`\u00XX`); numbers and keys fit in the fixed part.
        let variable = record.method.utf8.count + record.target.utf8.count + record.detail.utf8.count
            + record.rule.utf8.count + record.upstream.utf8.count + record.phase.rawValue.utf8.count
        return String(unsafeUninitializedCapacity: 256 + 6 * variable) { buffer in
            var out = ByteWriter(buffer)
            out.key("time", first: true)
            out.byte(UInt8(ascii: "\""))
            out.timestamp(record.start, cache: &cache)
            out.byte(UInt8(ascii: "\""))
            out.stringField("method", record.method)
            out.stringField("path", record.target)
            out.key("status")
            out.integer(record.status)
            out.stringField("cache", record.phase.rawValue)
            if !record.detail.isEmpty { out.stringField("detail", record.detail) }
            out.stringField("rule", record.rule)
            out.stringField("upstream", record.upstream)
            if let upstreamSeconds = record.upstreamSeconds {
                out.key("upstream_ms")
                out.milliseconds(upstreamSeconds)
            }
            out.key("total_ms")
            out.milliseconds(record.totalSeconds)
            out.key("bytes")
            out.integer(record.bytes)
            out.byte(UInt8(ascii: "}"))
            return out.count
        }
    }
}

/// Appends bytes to a buffer whose capacity the caller computed for the worst case.
private struct ByteWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        self.buffer[self.count] = value
        self.count += 1
    }

    mutating func bytes(_ text: StaticString) {
        let count = text.utf8CodeUnitCount
        UnsafeMutableRawPointer(self.buffer.baseAddress! + self.count).copyMemory(from: text.utf8Start, byteCount: count)
        self.count += count
    }

    mutating func key(_ name: StaticString, first: Bool = false) {
        self.byte(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        self.byte(UInt8(ascii: "\""))
        self.bytes(name)
        self.byte(UInt8(ascii: "\""))
        self.byte(UInt8(ascii: ":"))
    }

    /// RFC 8259 §7 escaping: quote, backslash and every control character.
    mutating func stringField(_ name: StaticString, _ value: String) {
        self.key(name)
        self.byte(UInt8(ascii: "\""))
        // Usually nothing needs escaping: the bytes are copied in one go.
        let copied = value.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard let base = bytes.baseAddress, !bytes.contains(where: Self.needsEscape) else { return bytes.isEmpty }
            UnsafeMutableRawPointer(self.buffer.baseAddress! + self.count).copyMemory(from: base, byteCount: bytes.count)
            self.count += bytes.count
            return true
        }
        if copied == true {
            self.byte(UInt8(ascii: "\""))
            return
        }
        for value in value.utf8 {
            switch value {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                self.byte(UInt8(ascii: "\\"))
                self.byte(value)
            case UInt8(ascii: "\n"):
                self.bytes("\\n")
            case UInt8(ascii: "\r"):
                self.bytes("\\r")
            case UInt8(ascii: "\t"):
                self.bytes("\\t")
            case 0..<0x20, 0x7F:
                self.bytes("\\u00")
                self.byte(Self.hexDigit(value >> 4))
                self.byte(Self.hexDigit(value & 0x0F))
            default:
                self.byte(value)
            }
        }
        self.byte(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func needsEscape(_ value: UInt8) -> Bool {
        value < 0x20 || value == UInt8(ascii: "\"") || value == UInt8(ascii: "\\") || value == 0x7F
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    mutating func integer(_ value: Int) {
        if value < 0 { self.byte(UInt8(ascii: "-")) }
        self.unsigned(value.magnitude, width: 1)
    }

    /// The digits of `value`, left-padded with zeros to `width`: written backwards in place, no temporary.
    mutating func unsigned(_ value: UInt, width: Int) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let length = max(digits, width)
        var position = self.count + length
        self.count = position
        var remaining = value
        for _ in 0..<length {
            position -= 1
            self.buffer[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
        }
    }

    mutating func milliseconds(_ seconds: Double) {
        let microseconds = seconds.isFinite && seconds > 0 ? Int((seconds * 1_000_000).rounded()) : 0
        self.unsigned(UInt(microseconds / 1000), width: 1)
        self.byte(UInt8(ascii: "."))
        self.unsigned(UInt(microseconds % 1000), width: 3)
    }

    /// RFC 3339 in UTC with milliseconds (the calendar arithmetic is HTTPCaching's, no `gmtime_r`).
    mutating func timestamp(_ epochSeconds: Double, cache: inout TimestampCache) {
        let totalMilliseconds = epochSeconds.isFinite ? Int64((epochSeconds * 1000).rounded(.down)) : 0
        var seconds = totalMilliseconds / 1000
        var millisecond = totalMilliseconds % 1000
        if millisecond < 0 {  // before 1970: the remainder has the dividend's sign
            seconds -= 1
            millisecond += 1000
        }
        if cache.second != seconds {
            cache.second = seconds
            let start = self.count
            self.dateAndTime(seconds)
            cache.length = self.count - start
            withUnsafeMutableBytes(of: &cache.text) { text in
                text.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(self.buffer)[start..<self.count]))
            }
        } else {
            withUnsafeBytes(of: cache.text) { text in
                UnsafeMutableRawPointer(self.buffer.baseAddress! + self.count).copyMemory(
                    from: text.baseAddress!,
                    byteCount: cache.length
                )
            }
            self.count += cache.length
        }
        self.byte(UInt8(ascii: "."))
        self.unsigned(UInt(millisecond), width: 3)
        self.byte(UInt8(ascii: "Z"))
    }

    /// "YYYY-MM-DDTHH:MM:SS" of an epoch second.
    private mutating func dateAndTime(_ seconds: Int64) {
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86_400
        }
        let (year, month, day) = HTTPDate.civil(fromDays: Int(days))
        self.unsigned(UInt(max(0, year)), width: 4)
        self.byte(UInt8(ascii: "-"))
        self.unsigned(UInt(month), width: 2)
        self.byte(UInt8(ascii: "-"))
        self.unsigned(UInt(day), width: 2)
        self.byte(UInt8(ascii: "T"))
        self.unsigned(UInt(secondOfDay / 3600), width: 2)
        self.byte(UInt8(ascii: ":"))
        self.unsigned(UInt(secondOfDay / 60 % 60), width: 2)
        self.byte(UInt8(ascii: ":"))
        self.unsigned(UInt(secondOfDay % 60), width: 2)
    }
}

/// The formatted date and time of one epoch second ("2026-11-29T23:59:59", up to 32 bytes), reused by the lines
/// of that second.
public struct TimestampCache {
    public var second = Int64.min
    public var length = 0
    public var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
}
