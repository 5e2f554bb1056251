import NIOCore
import NIOHTTP1

extension ResponseParser {
    /// Decodes a complete head (status line, field lines, the empty line) and decides how its body is framed.
    ///
    /// Deliberate leniencies, each harmless to framing:
    /// - a status line without the space after the code (`HTTP/1.1 200`), which some servers send; the reason
    ///   phrase is never used (RFC 9112 §4: a client SHOULD ignore it);
    /// - `Content-Length: 0` on a 204 and a 1xx (RFC 9110 §8.6 forbids sending it, but it announces no body);
    /// - `Content-Length` on a 304 of any value: RFC 9110 §8.6 lets a server send the length the 200 would have
    ///   had, and §15.4.5 ends a 304 at its head whatever it says, so such a 304 is valid and has no body;
    /// - `Content-Length` values repeated in a list or in several fields, when they are equal (RFC 9110 §8.6).
    static func decodeHead(_ bytes: UnsafeRawBufferPointer, bodiless: Bool) throws -> (HTTPResponseHead, Framing) {
        // Status line: HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4).
        let lineEnd = bytes.firstIndex(of: .cr)!  // findHeadEnd saw a CRLF
        guard bytes[lineEnd + 1] == .lf else { throw ResponseParseError.malformed("a bare CR in the status line") }
        let version = try ResponseSyntax.version(bytes, lineEnd: lineEnd)
        guard lineEnd >= 12, bytes[8] == .space, bytes[9].isDigit, bytes[10].isDigit, bytes[11].isDigit,
            lineEnd == 12 || bytes[12] == .space
        else {
            throw ResponseParseError.malformed("the status line has no three-digit status code after the version")
        }
        let code = Int(bytes[9] - UInt8(ascii: "0")) * 100 + Int(bytes[10] - UInt8(ascii: "0")) * 10
            + Int(bytes[11] - UInt8(ascii: "0"))
        // RFC 9110 §15: values outside 100...599 are invalid.
        guard code >= 100, code <= 599 else { throw ResponseParseError.malformed("the status code is not within 100...599") }
        if lineEnd > 13 {
            for position in 13..<lineEnd where !bytes[position].isFieldValueByte {
                throw ResponseParseError.malformed("the reason phrase holds a control byte")
            }
        }
        if code == 101 {
            // The proxy removes Upgrade from every request, so no switch was asked for.
            throw ResponseParseError(.switchingProtocols, "101 Switching Protocols was never asked for")
        }

        // Field lines, up to the empty line.
        var fields: [(String, String)] = []
        var contentLength: Int?
        var codings = ResponseSyntax.Codings()
        var lineStart = lineEnd + 2
        while true {
            var end = lineStart
            while bytes[end] != .cr { end += 1 }
            guard bytes[end + 1] == .lf else { throw ResponseParseError.malformed("a bare CR in a field line") }
            if end == lineStart { break }
            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<end])
            let (nameEnd, valueStart, valueEnd) = try ResponseSyntax.fieldLine(line)
            let name = UnsafeRawBufferPointer(rebasing: line[0..<nameEnd])
            let value = UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd])
            if name.equalsLowercased("content-length") {
                let length = try ResponseSyntax.contentLength(value)
                if let previous = contentLength, previous != length {
                    throw ResponseParseError.malformed("Content-Length values disagree")
                }
                contentLength = length
            } else if name.equalsLowercased("transfer-encoding") {
                codings.add(value)
            }
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            lineStart = end + 2
        }
        let status = HTTPResponseStatus(statusCode: code)
        let head = HTTPResponseHead(version: version, status: status, headers: HTTPHeaders(fields))
        return (head, try Self.framing(code: code, version: version, bodiless: bodiless, contentLength: contentLength, codings: codings))
    }

    /// RFC 9112 §6.3, strictly: where the body ends, or the error when the framing fields cannot be trusted.
    static func framing(
        code: Int,
        version: HTTPVersion,
        bodiless: Bool,
        contentLength: Int?,
        codings: ResponseSyntax.Codings
    ) throws -> Framing {
        if codings.present {
            // §6.3 rule 3: both fields "ought to be handled as an error" (response splitting).
            guard contentLength == nil else {
                throw ResponseParseError.malformed("both Content-Length and Transfer-Encoding")
            }
            // §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing.
            guard version.minor >= 1 else { throw ResponseParseError.malformed("Transfer-Encoding in an HTTP/1.0 response") }
            // A body in another transfer coding could only be passed on still coded, as if it were content.
            guard codings.lastIsChunked, codings.chunked == 1, !codings.other else {
                throw ResponseParseError.malformed("a transfer coding other than one final chunked")
            }
        }
        if code < 200 || code == 204 {
            // RFC 9110 §8.6 and RFC 9112 §6.1: a server MUST NOT send Content-Length or Transfer-Encoding in a 1xx
            // or 204 (§15.3.5: a 204 ends at its head). A non-zero length announces a body that must not follow, and
            // the bytes it covers would otherwise be read as the next response.
            guard !codings.present else { throw ResponseParseError.malformed("Transfer-Encoding on a 1xx or 204 response") }
            if let contentLength, contentLength != 0 {
                throw ResponseParseError.malformed("a non-zero Content-Length on a 1xx or 204 response")
            }
            return .none
        }
        // §6.3 rule 1: a response to HEAD and a 304 end at their head; their Content-Length or Transfer-Encoding
        // describes the 200 a GET would have had (RFC 9110 §8.6, §15.4.5).
        if bodiless || code == 304 { return .none }
        if codings.present { return .chunked }
        if let contentLength { return .length(contentLength) }
        return .untilClose
    }
}
