/// Whether a request has a body, chosen when the call starts so the request end can be sent at once
/// for bodiless requests.
public enum UpstreamRequestBody: Sendable, Hashable {
    /// No body: the request is complete with its head.
    case none
    /// The caller writes the parts with ``UpstreamCall/write(_:)`` and then calls ``UpstreamCall/end()``.
    /// With a `Content-Length` in the head the parts are sent as they are (and must add up to it);
    /// without one the body is sent chunked (`Transfer-Encoding: chunked` is added if absent).
    case streamed
}
