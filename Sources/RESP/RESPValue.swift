import NIOCore

/// One value of the Redis serialization protocol, version 2 (RESP2).
///
/// RESP2 has five types; the two "null" forms of RESP2 (the null bulk string `$-1` and the
/// null array `*-1`) are the `nil` payloads of ``bulkString(_:)`` and ``array(_:)``.
///
/// A server's error reply (`-ERR ...`) is an ordinary value here: it is the ``error(_:)`` case,
/// which callers inspect like any other reply.
public enum RESPValue: Sendable, Equatable {
    /// A simple string (`+OK`): a short, CR/LF-free text line.
    case simpleString(String)
    /// An error reply (`-ERR unknown command`), with the text after the `-`.
    case error(String)
    /// A signed 64-bit integer (`:42`).
    case integer(Int)
    /// A binary-safe bulk string (`$3\r\nfoo`); `nil` is the null bulk string (`$-1`).
    case bulkString(ByteBuffer?)
    /// An array of values (`*2\r\n...`); `nil` is the null array (`*-1`).
    case array([RESPValue]?)
}

extension RESPValue {
    /// The integer this value carries: an ``integer(_:)``, or a simple or bulk string holding a
    /// decimal integer (such as the reply to `GET` of a counter). `nil` for anything else.
    public var int: Int? {
        switch self {
        case .integer(let value):
            return value
        case .simpleString(let text):
            return Int(text)
        case .bulkString(.some(let buffer)):
            return Int(String(buffer: buffer))
        case .error, .bulkString(.none), .array:
            return nil
        }
    }

    /// The bytes of a non-null bulk string, or the UTF-8 bytes of a simple string; `nil` for
    /// anything else (including errors and nulls).
    public var bytes: ByteBuffer? {
        switch self {
        case .bulkString(.some(let buffer)):
            return buffer
        case .simpleString(let text):
            return ByteBuffer(string: text)
        case .integer, .error, .bulkString(.none), .array:
            return nil
        }
    }

    /// The text of a simple string, or a non-null bulk string decoded as UTF-8 (invalid
    /// sequences become U+FFFD); `nil` for anything else. Use ``errorMessage`` for errors.
    public var string: String? {
        switch self {
        case .simpleString(let text):
            return text
        case .bulkString(.some(let buffer)):
            return String(buffer: buffer)
        case .integer, .error, .bulkString(.none), .array:
            return nil
        }
    }

    /// The elements of a non-null array; `nil` for anything else.
    public var array: [RESPValue]? {
        if case .array(.some(let elements)) = self {
            return elements
        }
        return nil
    }

    /// The message of an error reply; `nil` for anything else.
    public var errorMessage: String? {
        if case .error(let message) = self {
            return message
        }
        return nil
    }

    /// Whether this is the null bulk string or the null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(.none), .array(.none):
            return true
        case .simpleString, .error, .integer, .bulkString(.some), .array(.some):
            return false
        }
    }
}
