import NIOCore
import NIOPosix
import Observability

/// Cutting a client connection whose response cannot be completed because the upstream failed after its head.
extension ProxyHandler {
    /// Cuts the connection (`abortConnection()`: what was written is flushed, then the connection closes) and logs
    /// the request as aborted with `reason` (`upstream-error`). A body whose end is the close itself (an HTTP/1.0
    /// client without a `Content-Length`) would look complete after a FIN, so that connection is reset (RST) once
    /// the flush is done.
    func abortConnection(reason: OutcomeReason) {
        self.record?.outcome.reason = reason
        if self.framing == .closeDelimited, let channel = self.context?.channel {
            // SO_LINGER 0 turns the close that follows the flush into a reset.
            _ = (channel as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
        }
        self.abortConnection()
    }
}
