import NIOCore
import RESP

/// The commands that make a fresh connection usable: `AUTH` and `SELECT`.
enum RedisHandshake {
    /// Why the handshake failed, for the disconnected state's `lastError`.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `AUTH [username] password` when a password is configured, then `SELECT db` when
    /// `selectDatabase` is set and the database is not 0.
    static func commands(for configuration: RedisConfiguration, selectDatabase: Bool) -> [[ByteBuffer]] {
        var commands: [[ByteBuffer]] = []
        if let password = configuration.password {
            var auth = [ByteBuffer(string: "AUTH")]
            if let username = configuration.username {
                auth.append(ByteBuffer(string: username))
            }
            auth.append(ByteBuffer(string: password))
            commands.append(auth)
        }
        if selectDatabase, configuration.database != 0 {
            commands.append([ByteBuffer(string: "SELECT"), ByteBuffer(string: String(configuration.database))])
        }
        return commands
    }

    /// Pipelines the handshake commands and succeeds when every reply is a success; an error
    /// reply fails with a ``Failure`` naming the command, for example
    /// "AUTH failed: WRONGPASS invalid username-password pair or user is disabled.".
    static func run(
        _ commands: [[ByteBuffer]],
        on handler: RedisCommandHandler,
        eventLoop: EventLoop
    ) -> EventLoopFuture<Void> {
        guard !commands.isEmpty else {
            return eventLoop.makeSucceededVoidFuture()
        }
        let names = commands.map { $0.first.map { String(buffer: $0) } ?? "" }
        return EventLoopFuture.whenAllSucceed(handler.send(commands), on: eventLoop).flatMapThrowing { replies in
            for (name, reply) in zip(names, replies) {
                if let message = reply.errorMessage {
                    throw Failure(description: "\(name) failed: \(message)")
                }
            }
        }
    }
}
