import NIOCore
import RESP

/// The pushes of one subscriber connection: counts `subscribe` confirmations until all have
/// come, then completes ``confirmed``, and passes messages on.
///
/// Confinement: created and used on the connection's event loop only.
final class SubscriptionProgress {
    /// Why a pushed value ended the connection.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let promise: EventLoopPromise<Void>
    private let onMessage: @Sendable (String, ByteBuffer) -> Void
    private var remainingConfirmations: Int
    private var finished = false

    /// Succeeds when every channel is confirmed; fails if the connection ends first.
    var confirmed: EventLoopFuture<Void> { self.promise.futureResult }

    init(eventLoop: EventLoop, expectedConfirmations: Int, onMessage: @escaping @Sendable (String, ByteBuffer) -> Void) {
        self.promise = eventLoop.makePromise()
        self.onMessage = onMessage
        self.remainingConfirmations = expectedConfirmations
        if expectedConfirmations == 0 {
            self.finish(.success(()))
        }
    }

    /// Handles one pushed value: `["message", channel, payload]` or
    /// `["subscribe", channel, count]`. An error reply ends the connection.
    func handle(_ value: RESPValue) throws {
        if let message = value.errorMessage {
            let failure = Failure(description: "SUBSCRIBE failed: \(message)")
            self.fail(failure)
            throw failure
        }
        guard let items = value.array, let kind = items.first?.string else {
            throw Failure(description: "unexpected push \(value)")
        }
        switch kind {
        case "message":
            guard items.count == 3, let channel = items[1].string, let payload = items[2].bytes else {
                throw Failure(description: "malformed pub/sub message")
            }
            self.onMessage(channel, payload)
        case "subscribe":
            self.remainingConfirmations -= 1
            if self.remainingConfirmations == 0 {
                self.finish(.success(()))
            }
        default:
            // Other pushes (unsubscribe, pong) need no action.
            break
        }
    }

    func fail(_ error: Error) {
        self.finish(.failure(error))
    }

    private func finish(_ result: Result<Void, Error>) {
        guard !self.finished else {
            return
        }
        self.finished = true
        self.promise.completeWith(result)
    }
}
