import TOMLKit

/// A parsed TOML value, copied out of TOMLKit's reference types into plain values the decoder can
/// walk without touching the C++ document again.
indirect enum TOMLNode: Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case array([TOMLNode])
    case table([String: TOMLNode])
    /// Dates and times, which no key of proxy.conf takes.
    case other

    /// Parses a document; the error carries TOMLKit's (toml++'s) message, line and column.
    static func parse(_ text: String) throws(TOMLParseError) -> [String: TOMLNode] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw error
        } catch {
            preconditionFailure("TOMLTable(string:) throws only TOMLParseError, got \(error)")
        }
        return Self.convert(table)
    }

    private static func convert(_ table: TOMLTable) -> [String: TOMLNode] {
        var entries: [String: TOMLNode] = [:]
        for key in table.keys {
            if let value = table[key] {
                entries[key] = Self.convert(value)
            }
        }
        return entries
    }

    private static func convert(_ value: TOMLValueConvertible) -> TOMLNode {
        switch value.type {
        case .string:
            return .string(value.string ?? "")
        case .int:
            return .integer(value.int ?? 0)
        case .double:
            return .float(value.double ?? 0)
        case .bool:
            return .boolean(value.bool ?? false)
        case .array:
            return .array(value.array.map { $0.map(Self.convert) } ?? [])
        case .table:
            return .table(value.table.map(Self.convert) ?? [:])
        case .date, .time, .dateTime:
            return .other
        }
    }

    /// "a string", "an integer", ... for "expected X, found Y" messages.
    var kindDescription: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a decimal number"
        case .boolean: return "true or false"
        case .array: return "an array"
        case .table: return "a table"
        case .other: return "a date or time"
        }
    }
}
