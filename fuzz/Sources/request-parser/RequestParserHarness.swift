import FuzzSupport
import HTTPRequestParsing
import NIOCore
import NIOHTTP1

/// The client request parser (`HTTPRequestParsing.RequestParser`), fed the same bytes whole, one byte at a time and
/// in fuzzer-chosen pieces (`Splits`).
///
/// Properties:
/// - The three feedings give the same parts (heads, each message's body bytes, ends), the same error kind or none,
///   and leave the same bytes unread: where TCP splits a request never changes how it is read.
/// - Every head it hands out is well formed: a token method, a target of visible ASCII, HTTP/1.x, token field names,
///   values without CR, LF, NUL or surrounding whitespace, exactly one Host in HTTP/1.1.
/// - A message with a `Content-Length` has exactly that many body bytes before its end.
@_cdecl("LLVMFuzzerTestOneInput")
public func requestParserTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let splits = Splits(UnsafeBufferPointer(start: data, count: size))
    // A small head limit, so that the 414 and 431 paths are reached by inputs of fuzzing size.
    let limits = RequestParser.Limits(maxHeadBytes: 512)
    let whole = Reading(limits: limits, chunks: [splits.payload[...]])
    let byByte = Reading(limits: limits, chunks: splits.bytes)
    let pieces = Reading(limits: limits, chunks: splits.chunks)
    Property.equal(whole.events, byByte.events, "parts, whole vs one byte at a time")
    Property.equal(whole.events, pieces.events, "parts, whole vs pieces \(splits.pieces)")
    Property.equal(whole.unread, byByte.unread, "unread bytes, whole vs one byte at a time")
    Property.equal(whole.unread, pieces.unread, "unread bytes, whole vs pieces \(splits.pieces)")
    return 0
}

/// What one feeding of the input produced.
struct Reading {
    enum Event: Equatable {
        case head(String)
        /// A message's body slices, joined.
        case body([UInt8])
        case end
        case error(RequestParseError.Kind)
    }

    var events: [Event] = []
    /// Bytes left in the buffer when the input ran out (nil after an error).
    var unread: Int?

    init(limits: RequestParser.Limits, chunks: [ArraySlice<UInt8>]) {
        var parser = RequestParser(limits: limits)
        var buffer = ByteBuffer()
        var body: [UInt8] = []
        var declaredLength: Int?
        do {
            for chunk in chunks {
                buffer.writeBytes(chunk)
                while let part = try parser.next(from: &buffer) {
                    switch part {
                    case .head(let head):
                        self.events.append(.head(Self.describe(head)))
                        declaredLength = head.headers.first(name: "content-length").flatMap(HTTPText.contentLength)
                    case .body(var slice):
                        body += slice.readBytes(length: slice.readableBytes)!
                    case .end:
                        if let declaredLength {
                            Property.equal(body.count, declaredLength, "body bytes of a Content-Length message")
                        }
                        if !body.isEmpty { self.events.append(.body(body)) }
                        self.events.append(.end)
                        body = []
                        declaredLength = nil
                    }
                }
            }
            self.unread = buffer.readableBytes
        } catch let error as RequestParseError {
            self.events.append(.error(error.kind))
        } catch {
            Property.require(false, "next(from:) threw something other than RequestParseError: \(error)")
        }
    }

    /// The head as a line, after checking that it is well formed.
    static func describe(_ head: HTTPRequestHead) -> String {
        let method = head.method.rawValue
        Property.require(!method.isEmpty && method.utf8.allSatisfy(HTTPText.isTokenByte), "method \(method.debugDescription)")
        Property.require(
            !head.uri.isEmpty && head.uri.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F },
            "request target \(head.uri.debugDescription)"
        )
        Property.require(head.version.major == 1 && head.version.minor <= 9, "version \(head.version)")
        var hosts = 0
        for (name, value) in head.headers {
            HTTPText.checkField(name: name, value: value)
            if name.lowercased() == "host" { hosts += 1 }
        }
        Property.require(hosts <= 1 && (hosts == 1 || head.version.minor == 0), "\(hosts) Host fields in \(head.version)")
        let fields = head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
        return "\(method) \(head.uri) \(head.version.major).\(head.version.minor) [\(fields)]"
    }
}
