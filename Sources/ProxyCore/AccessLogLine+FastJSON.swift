#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The JSON line written byte by byte into one reserved buffer: the same text as `json(fields(of:))`, without
/// the intermediate strings (it runs on the event loop for every request when the access log is on).
extension AccessLogLine {
    static func fastJSON(_ record: RequestRecord) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(200 + record.target.utf8.count)
        Self.key("time", into: &out, first: true)
        out.append(UInt8(ascii: "\""))
        Self.timestamp(record.start, into: &out)
        out.append(UInt8(ascii: "\""))
        Self.stringField("method", record.method, into: &out)
        Self.stringField("path", record.target, into: &out)
        Self.key("status", into: &out)
        Self.integer(record.status, into: &out)
        Self.stringField("cache", record.outcome.rawValue, into: &out)
        if !record.detail.isEmpty { Self.stringField("detail", record.detail, into: &out) }
        Self.stringField("rule", record.rule, into: &out)
        Self.stringField("upstream", record.upstream, into: &out)
        if let upstreamSeconds = record.upstreamSeconds {
            Self.key("upstream_ms", into: &out)
            Self.milliseconds(upstreamSeconds, into: &out)
        }
        Self.key("total_ms", into: &out)
        Self.milliseconds(record.totalSeconds, into: &out)
        Self.key("bytes", into: &out)
        Self.integer(record.bytes, into: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func key(_ name: StaticString, into out: inout [UInt8], first: Bool = false) {
        out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    private static func stringField(_ name: StaticString, _ value: String, into out: inout [UInt8]) {
        Self.key(name, into: &out)
        out.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7F:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func integer(_ value: Int, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out.append(contentsOf: digits.reversed())
    }

    private static func padded(_ value: Int, _ width: Int, into out: inout [UInt8]) {
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        if digits.count < width { out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count)) }
        out.append(contentsOf: digits.reversed())
    }

    private static func milliseconds(_ seconds: Double, into out: inout [UInt8]) {
        let microseconds = seconds.isFinite && seconds > 0 ? Int((seconds * 1_000_000).rounded()) : 0
        Self.integer(microseconds / 1000, into: &out)
        out.append(UInt8(ascii: "."))
        Self.padded(microseconds % 1000, 3, into: &out)
    }

    private static func timestamp(_ epochSeconds: Double, into out: inout [UInt8]) {
        let totalMilliseconds = epochSeconds.isFinite ? Int64((epochSeconds * 1000).rounded(.down)) : 0
        var seconds = time_t(totalMilliseconds / 1000)
        var millisecond = Int(totalMilliseconds % 1000)
        if millisecond < 0 {
            seconds -= 1
            millisecond += 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        Self.padded(Int(parts.tm_year) + 1900, 4, into: &out)
        out.append(UInt8(ascii: "-"))
        Self.padded(Int(parts.tm_mon) + 1, 2, into: &out)
        out.append(UInt8(ascii: "-"))
        Self.padded(Int(parts.tm_mday), 2, into: &out)
        out.append(UInt8(ascii: "T"))
        Self.padded(Int(parts.tm_hour), 2, into: &out)
        out.append(UInt8(ascii: ":"))
        Self.padded(Int(parts.tm_min), 2, into: &out)
        out.append(UInt8(ascii: ":"))
        Self.padded(Int(parts.tm_sec), 2, into: &out)
        out.append(UInt8(ascii: "."))
        Self.padded(millisecond, 3, into: &out)
        out.append(UInt8(ascii: "Z"))
    }
}
