/// Whether a request has a body, chosen when the call starts so the request end can be sent at once
/// for bodiless requests.
public enum UpstreamRequestBody: Sendable, Hashable {
    /// No body: the request is complete with its head.
    case none
    /// The caller writes the parts with ``UpstreamCall/write(_:)`` and then calls ``UpstreamCall/end()``.
    /// The head must announce the framing (`Content-Length`, or `Transfer-Encoding: chunked`, which
    /// NIO's encoder then applies).
    case streamed
}
