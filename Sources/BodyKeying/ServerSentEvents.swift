/// Reading a complete `text/event-stream` body (WHATWG HTML §9.2.6, the event stream interpretation) to find its
/// last event: Gemini's `streamGenerateContent?alt=sse` puts the finish reason and the token counts there.
public enum ServerSentEvents {
    /// The `data` of the last event that was dispatched: ended by a blank line and with at least one `data` field
    /// (lines joined by LF). An event not ended by a blank line is not dispatched (a cut stream has no final event).
    public static func lastEventData(_ bytes: some Collection<UInt8>) -> [UInt8]? {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        var last: [UInt8]?
        var data: [UInt8] = []
        var hasData = false
        var line: [UInt8] = []
        var previousWasCR = false

        func endLine() {
            defer { line.removeAll(keepingCapacity: true) }
            if line.isEmpty {
                if hasData { last = data }
                data.removeAll(keepingCapacity: true)
                hasData = false
                return
            }
            if line.first == UInt8(ascii: ":") { return }  // a comment
            let colon = line.firstIndex(of: UInt8(ascii: ":"))
            let name = colon.map { line[..<$0] } ?? line[...]
            guard name.elementsEqual("data".utf8) else { return }
            var value = colon.map { line[($0 + 1)...] } ?? []
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            if hasData { data.append(lf) }
            data.append(contentsOf: value)
            hasData = true
        }

        for byte in bytes {
            if byte == lf && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = byte == cr
            if byte == cr || byte == lf {
                endLine()
            } else {
                line.append(byte)
            }
        }
        return last
    }
}
