/// Why ``RESPDecoder`` rejected its input. Once thrown, the byte stream is out of step and
/// the connection it came from should be closed.
public enum RESPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value started with a byte that is not one of the RESP2 type markers `+ - : $ *`.
    case unknownType(UInt8)
    /// An integer, bulk length or array count that is not a decimal number fitting an `Int`.
    case invalidNumber
    /// A bulk length or array count below -1 (the only negative length RESP2 allows is the null -1).
    case negativeLength(Int)
    /// A bulk string longer than the decoder's limit.
    case bulkTooLarge(length: Int, limit: Int)
    /// An array with more elements than the decoder's limit.
    case arrayTooLarge(count: Int, limit: Int)
    /// Arrays nested deeper than the decoder's limit.
    case nestingTooDeep(limit: Int)
    /// A header or simple line longer than the decoder's limit without its CR LF.
    case lineTooLong(limit: Int)
    /// A CR not followed by LF, or a bulk string whose payload is not followed by CR LF.
    case missingCRLF

    /// A one-line explanation for logs and error messages.
    public var description: String {
        switch self {
        case .unknownType(let byte):
            return "RESP: unknown type byte 0x\(String(byte, radix: 16))"
        case .invalidNumber:
            return "RESP: invalid decimal number"
        case .negativeLength(let length):
            return "RESP: invalid negative length \(length)"
        case .bulkTooLarge(let length, let limit):
            return "RESP: bulk string of \(length) bytes exceeds the limit of \(limit)"
        case .arrayTooLarge(let count, let limit):
            return "RESP: array of \(count) elements exceeds the limit of \(limit)"
        case .nestingTooDeep(let limit):
            return "RESP: arrays nested deeper than \(limit) levels"
        case .lineTooLong(let limit):
            return "RESP: line longer than \(limit) bytes"
        case .missingCRLF:
            return "RESP: expected CR LF"
        }
    }
}
