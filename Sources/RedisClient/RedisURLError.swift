/// Why ``RedisConfiguration/parse(url:)`` rejected a URL.
///
/// The message never repeats the URL, which may hold a password.
public struct RedisURLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, for a person to read, such as "port must be 1-65535".
    public let message: String

    /// Creates an error with the given message.
    public init(_ message: String) {
        self.message = message
    }

    /// A one-line explanation for logs and error messages.
    public var description: String {
        "invalid Redis URL: \(self.message)"
    }
}
