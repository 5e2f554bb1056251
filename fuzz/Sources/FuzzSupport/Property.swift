#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A property a harness checks on every input, beyond "it does not crash".
public enum Property {
    /// Stops the run when `condition` is false: libFuzzer reports a deadly signal and saves the input as
    /// `crash-<sha1>` in the findings folder, and `message` (which should say what differed) is on stderr above it.
    public static func require(
        _ condition: @autoclosure () -> Bool,
        _ message: @autoclosure () -> String,
        file: StaticString = #fileID,
        line: UInt = #line
    ) {
        guard !condition() else { return }
        let text = "property failed (\(file):\(line)): \(message())\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
        abort()
    }

    /// `require(lhs == rhs)`, with both values in the message.
    public static func equal<T: Equatable>(
        _ lhs: T,
        _ rhs: T,
        _ what: @autoclosure () -> String,
        file: StaticString = #fileID,
        line: UInt = #line
    ) {
        Self.require(lhs == rhs, "\(what())\n  left:  \(lhs)\n  right: \(rhs)", file: file, line: line)
    }
}
