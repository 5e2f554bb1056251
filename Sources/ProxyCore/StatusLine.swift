import NIOCore
import NIOHTTP1

/// HTTP/1.1 status lines, encoded once per process and shared by every hit (an entry does not keep its own).
enum StatusLine {
    private static let lines: [ByteBuffer] = (0..<600).map { code in
        var line = ByteBuffer()
        if code >= 100 {
            let status = HTTPResponseStatus(statusCode: code)
            line.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        }
        return line
    }

    /// `HTTP/1.1 <code> <reason>\r\n`.
    static func http11(_ code: Int) -> ByteBuffer {
        guard code >= 100, code < 600 else {
            var line = ByteBuffer()
            line.writeString("HTTP/1.1 \(code) \r\n")
            return line
        }
        return Self.lines[code]
    }
}
