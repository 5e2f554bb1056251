import NIOCore
import RESP
import RedisClient

extension RedisFleet {
    /// The fleet's credential-hashing secret: the one already in Redis, or `proposed` stored there with `SET NX`.
    /// Without Redis it answers `proposed` (this instance then keys alone until restarted).
    public func agreeOnSecret(proposed: [UInt8], timeout: TimeAmount) -> EventLoopFuture<[UInt8]> {
        let loop = self.connection.eventLoop
        // Redis values are binary-safe: the secret is stored as its bytes.
        let proposedValue = ByteBuffer(bytes: proposed)
        let promise = loop.makePromise(of: [UInt8].self)
        let deadline = NIODeadline.now() + timeout
        func attempt() {
            let set = [ByteBuffer(string: "SET"), ByteBuffer(string: self.keys.secret), proposedValue, ByteBuffer(string: "NX")]
            self.connection.send(set).flatMap { _ in
                self.connection.send(.command("GET", self.keys.secret))
            }.whenComplete { result in
                if case .success(let reply) = result, let agreed = reply.bytes, agreed.readableBytes >= 16 {
                    let bytes = Array(agreed.readableBytesView)
                    self.state.withLockedValue { $0.secret = bytes }
                    promise.succeed(bytes)
                } else if NIODeadline.now() + .milliseconds(50) < deadline {
                    loop.scheduleTask(in: .milliseconds(50)) { attempt() }
                } else {
                    self.logger.warning("Redis unreachable at start: credential partitions use a secret of this instance only; set key_secret for a fleet")
                    promise.succeed(proposed)
                }
            }
        }
        attempt()
        return promise.futureResult
    }

    /// After a reconnect: re-asserts the agreed secret (an empty Redis after a restart would let a new instance pick
    /// another one), and says so when Redis holds a different one.
    func reassertSecret() {
        guard let secret = self.state.withLockedValue({ $0.secret }) else { return }
        let set = [ByteBuffer(string: "SET"), ByteBuffer(string: self.keys.secret), ByteBuffer(bytes: secret), ByteBuffer(string: "NX")]
        self.connection.send(set).flatMap { _ in
            self.connection.send(.command("GET", self.keys.secret))
        }.whenSuccess { reply in
            if let current = reply.bytes, Array(current.readableBytesView) != secret {
                self.logger.error("the fleet's credential secret in Redis differs from this instance's: set key_secret on every instance")
            }
        }
    }
}
