import Foundation
import ProxyConfig

/// Turns a `RequestRecord` into one access-log line (without the newline), as JSON or logfmt.
///
/// Pure: the time is the record's `start`, and every field comes from the record as it is. The record holds no
/// header and no credential (its `target` had the route's credential query parameters removed before it got
/// here), and the line adds nothing beyond it.
public struct AccessLogLine: Sendable {
    public let format: AccessLogFormat

    /// A field's value: strings are escaped (JSON) or quoted when needed (logfmt); numbers are written bare.
    public enum Value: Equatable {
        case string(String)
        case number(String)
    }

    public func text(for record: RequestRecord) -> String {
        var cache = TimestampCache()
        return self.text(for: record, cache: &cache)
    }

    /// `cache`: the date and time of the last second formatted, reused by a writer that formats many lines.
    public func text(for record: RequestRecord, cache: inout TimestampCache) -> String {
        switch self.format {
        case .json:
            return Self.fastJSON(record, cache: &cache)
        case .logfmt:
            return Self.logfmt(Self.fields(of: record))
        }
    }

    // MARK: - Fields

    /// In order: time, method, path, status, cache, detail (when not empty), rule, upstream, upstream_ms (when
    /// something went upstream), total_ms, bytes.
    public static func fields(of record: RequestRecord) -> [(key: String, value: Value)] {
        var fields: [(key: String, value: Value)] = [
            ("time", .string(Self.timestamp(record.start))),
            ("method", .string(record.method)),
            ("path", .string(record.target)),
            ("status", .number(String(record.status))),
            ("cache", .string(record.phase.rawValue)),
        ]
        if !record.detail.isEmpty {
            fields.append(("detail", .string(record.detail)))
        }
        fields.append(("rule", .string(record.rule)))
        fields.append(("upstream", .string(record.upstream)))
        if let upstreamSeconds = record.upstreamSeconds {
            fields.append(("upstream_ms", .number(Self.milliseconds(upstreamSeconds))))
        }
        fields.append(("total_ms", .number(Self.milliseconds(record.totalSeconds))))
        fields.append(("bytes", .number(String(record.bytes))))
        return fields
    }

    /// RFC 3339 in UTC with milliseconds: "2025-03-01T12:04:05.678Z".
    public static func timestamp(_ epochSeconds: Double) -> String {
        let totalMilliseconds = epochSeconds.isFinite ? Int64((epochSeconds * 1000).rounded(.down)) : 0
        var seconds = time_t(totalMilliseconds / 1000)
        var millisecond = Int(totalMilliseconds % 1000)
        if millisecond < 0 {  // before 1970: the remainder has the dividend's sign
            seconds -= 1
            millisecond += 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(Self.padded(Int(parts.tm_year) + 1900, 4))-\(Self.padded(Int(parts.tm_mon) + 1, 2))-"
            + "\(Self.padded(Int(parts.tm_mday), 2))T\(Self.padded(Int(parts.tm_hour), 2)):"
            + "\(Self.padded(Int(parts.tm_min), 2)):\(Self.padded(Int(parts.tm_sec), 2))."
            + "\(Self.padded(millisecond, 3))Z"
    }

    /// Milliseconds with three decimals (microsecond resolution): 0.000052 s → "0.052". Negative (a clock
    /// step) and non-finite durations are written as 0.
    public static func milliseconds(_ seconds: Double) -> String {
        let microseconds = seconds.isFinite && seconds > 0 ? Int((seconds * 1_000_000).rounded()) : 0
        return "\(microseconds / 1000).\(Self.padded(microseconds % 1000, 3))"
    }

    private static func padded(_ number: Int, _ width: Int) -> String {
        let digits = String(number)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    // MARK: - JSON

    /// One object on one line; RFC 8259 §7 escaping (quote, backslash and every control character).
    public static func json(_ fields: [(key: String, value: Value)]) -> String {
        var line = "{"
        for (index, field) in fields.enumerated() {
            if index > 0 {
                line += ","
            }
            line += "\"\(field.key)\":"
            switch field.value {
            case .number(let number):
                line += number
            case .string(let string):
                line += "\"\(Self.escaped(string))\""
            }
        }
        return line + "}"
    }

    // MARK: - logfmt

    /// `key=value` pairs separated by spaces. A value is quoted when it is empty or holds a space, a quote, `=`,
    /// a backslash or a control character; inside quotes, quote, backslash and control characters are escaped
    /// as in JSON, so that a line never breaks and a value never runs into the next key.
    public static func logfmt(_ fields: [(key: String, value: Value)]) -> String {
        var pairs: [String] = []
        pairs.reserveCapacity(fields.count)
        for field in fields {
            switch field.value {
            case .number(let number):
                pairs.append("\(field.key)=\(number)")
            case .string(let string) where Self.needsQuotes(string):
                pairs.append("\(field.key)=\"\(Self.escaped(string))\"")
            case .string(let string):
                pairs.append("\(field.key)=\(string)")
            }
        }
        return pairs.joined(separator: " ")
    }

    private static func needsQuotes(_ value: String) -> Bool {
        value.isEmpty
            || value.unicodeScalars.contains { scalar in
                scalar == " " || scalar == "\"" || scalar == "=" || scalar == "\\" || Self.isControl(scalar)
            }
    }

    // MARK: - Escaping

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }

    /// The string with `"` and `\` backslash-escaped and control characters written as `\n`, `\r`, `\t` or
    /// `\u00XX`.
    public static func escaped(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0 == "\"" || $0 == "\\" || Self.isControl($0) }) else {
            return value
        }
        var result = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result.append(contentsOf: "\\\"".unicodeScalars)
            case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            case "\r": result.append(contentsOf: "\\r".unicodeScalars)
            case "\t": result.append(contentsOf: "\\t".unicodeScalars)
            case _ where Self.isControl(scalar):
                let hex = String(scalar.value, radix: 16, uppercase: false)
                result.append(contentsOf: "\\u\(String(repeating: "0", count: 4 - hex.count))\(hex)".unicodeScalars)
            default:
                result.append(scalar)
            }
        }
        return String(result)
    }
}
