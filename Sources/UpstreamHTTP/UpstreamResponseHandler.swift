import NIOCore
import NIOHTTP1

/// Receives the response of one ``UpstreamCall``.
///
/// All methods are called on the event loop passed to ``UpstreamClient/execute(_:body:on:handler:)``.
/// Exactly one of ``upstreamEnd()`` and ``upstreamFailed(_:)`` ends a call, unless the caller cancelled
/// it first, after which nothing is called at all.
public protocol UpstreamResponseHandler: AnyObject {
    /// An interim (1xx) response other than 101, in the order received, before the final head.
    /// RFC 9110 §15.2: a proxy forwards these (103 Early Hints, 100 Continue).
    func upstreamInformational(_ head: HTTPResponseHead)
    /// The final response head. A non-nil future holds the delivery of the body and end (and stops
    /// reading from the upstream) until it completes, e.g. until the head is written to the client.
    func upstreamHead(_ head: HTTPResponseHead) -> EventLoopFuture<Void>?
    /// A body part. With a future, the next part is not read from the upstream until it completes, which
    /// is how a slow client slows the upstream down; nil goes on at once (no future to make when the client keeps
    /// up). A failed future counts as completed; to stop the response, call ``UpstreamCall/cancel()``.
    func upstreamBodyPart(_ buffer: ByteBuffer) -> EventLoopFuture<Void>?
    /// The response ended cleanly.
    func upstreamEnd()
    /// The call failed; body parts delivered before may be a truncated body.
    func upstreamFailed(_ error: UpstreamError)
}
