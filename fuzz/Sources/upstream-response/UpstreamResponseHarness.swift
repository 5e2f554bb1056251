import FuzzSupport
import NIOCore
import NIOHTTP1
import UpstreamHTTP

/// The upstream response parser (`UpstreamHTTP.ResponseParser`), fed the same bytes whole, one byte at a time and
/// in fuzzer-chosen pieces (`Splits`), as the responses to up to eight requests on one connection; the first byte
/// of the payload says which of them were HEAD (bit i for request i), the rest is what the upstream sent. The
/// connection's close follows the last byte (`finish()`).
///
/// Properties:
/// - The three feedings give the same parts (interim and final heads, each response's body bytes, ends), the same
///   error kind or none: where TCP splits an upstream's bytes never changes how they are read.
/// - Every head handed out is well formed: a status of 100-599 (an interim one 1xx other than 101, a final one
///   not 1xx), HTTP/1.x, token field names, values without CR, LF or NUL and without surrounding whitespace.
/// - A final response with a valid `Content-Length` that may carry a body has exactly that many body bytes before
///   its end; a response to HEAD, a 204 and a 304 have none.
@_cdecl("LLVMFuzzerTestOneInput")
public func upstreamResponseTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let splits = Splits(UnsafeBufferPointer(start: data, count: size))
    guard let headMask = splits.payload.first else { return 0 }
    let payload = Array(splits.payload.dropFirst())
    // A small head limit, so that headTooLarge is reached by inputs of fuzzing size.
    let limits = ResponseParser.Limits(maxHeadBytes: 512)
    let whole = ResponseReading(limits: limits, headMask: headMask, chunks: [payload[...]])
    let byByte = ResponseReading(limits: limits, headMask: headMask, chunks: payload.indices.map { payload[$0..<($0 + 1)] })
    let pieces = ResponseReading(limits: limits, headMask: headMask, chunks: splits.chunks(of: payload[...]))
    Property.equal(whole.events, byByte.events, "parts, whole vs one byte at a time")
    Property.equal(whole.events, pieces.events, "parts, whole vs pieces \(splits.pieces)")
    return 0
}

/// What one feeding of the input produced.
struct ResponseReading {
    enum Event: Equatable {
        case informational(String)
        case head(String)
        /// A response's body slices, joined.
        case body([UInt8])
        case end
        case error(ResponseParseError.Kind)
    }

    static let requests = 8

    var events: [Event] = []

    init(limits: ResponseParser.Limits, headMask: UInt8, chunks: [ArraySlice<UInt8>]) {
        var parser = ResponseParser(limits: limits)
        var buffer = ByteBuffer()
        var sent = 0
        var body: [UInt8] = []
        var expected: Int?
        var bodiless = false

        func ask() {
            // After the close (`finish()`), no request can be sent any more.
            guard sent < Self.requests, parser.isIdle else { return }
            bodiless = headMask & (1 << sent) != 0
            parser.expectResponse(to: bodiless ? .HEAD : .GET)
            sent += 1
        }

        func take(_ part: ResponseParser.Part) {
            switch part {
            case .informational(let head):
                Property.require(head.status.code >= 100 && head.status.code < 200 && head.status.code != 101, "interim status \(head.status.code)")
                self.events.append(.informational(Self.describe(head)))
            case .head(let head):
                let code = head.status.code
                Property.require(code >= 200 && code <= 599, "final status \(code)")
                self.events.append(.head(Self.describe(head)))
                if bodiless || code == 204 || code == 304 {
                    expected = 0
                } else {
                    expected = head.headers.first(name: "content-length").flatMap(HTTPText.contentLength)
                }
            case .body(var slice):
                body += slice.readBytes(length: slice.readableBytes)!
            case .end:
                if let expected {
                    Property.equal(body.count, expected, "body bytes of a response with a known length")
                }
                if !body.isEmpty { self.events.append(.body(body)) }
                self.events.append(.end)
                body = []
                expected = nil
                ask()
            }
        }

        ask()
        do {
            for chunk in chunks {
                buffer.writeBytes(chunk)
                while let part = try parser.next(from: &buffer) { take(part) }
            }
            if let part = try parser.finish() { take(part) }
        } catch let error as ResponseParseError {
            self.events.append(.error(error.kind))
        } catch {
            Property.require(false, "the parser threw something other than ResponseParseError: \(error)")
        }
    }

    /// The head as a line, after checking that it is well formed.
    static func describe(_ head: HTTPResponseHead) -> String {
        Property.require(head.version.major == 1 && head.version.minor <= 9, "version \(head.version)")
        for (name, value) in head.headers { HTTPText.checkField(name: name, value: value) }
        let fields = head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
        return "\(head.status.code) \(head.version.major).\(head.version.minor) [\(fields)]"
    }
}
