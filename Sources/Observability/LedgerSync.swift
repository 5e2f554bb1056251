import Logging
import NIOConcurrencyHelpers
import NIOCore
import RESP
import RedisCache
import RedisClient

/// Fleet mode: adds this instance's ledger rows to the fleet's sum in Redis, once a second (`HINCRBY`,
/// `HINCRBYFLOAT` on one hash per partition id, the ids in a set), and reads the sum for `GET /partitions`. It has a
/// connection of its own, so a slow ledger write never queues behind a purge. Increments that Redis did not take are
/// kept and sent with the next flush.
public final class LedgerSync: Sendable {
    public let ledger: Ledger
    public let connection: RedisConnection
    public let keys: RedisKeys
    private let task = NIOLockedValueBox<RepeatedTask?>(nil)

    /// How often increments are sent.
    public static let interval = TimeAmount.seconds(1)
    /// Partitions read back at most.
    public static let readLimit = 10_000

    public init(ledger: Ledger, configuration: RedisConfiguration, keys: RedisKeys, eventLoop: EventLoop, logger: Logger) {
        self.ledger = ledger
        self.keys = keys
        self.connection = RedisConnection(configuration: configuration, eventLoop: eventLoop, logger: logger)
    }

    public var idsKey: String { self.keys.prefix + "ledger:ids" }
    public func rowKey(_ id: String) -> String { self.keys.prefix + "ledger:p:" + id }

    public func start() {
        self.connection.start()
        let eventLoop = self.connection.eventLoop
        let task = eventLoop.scheduleRepeatedAsyncTask(initialDelay: Self.interval, delay: Self.interval) { [weak self] _ in
            guard let self else { return eventLoop.makeSucceededVoidFuture() }
            return self.flush()
        }
        self.task.withLockedValue { $0 = task }
    }

    public func shutdown() -> EventLoopFuture<Void> {
        self.task.withLockedValue { $0?.cancel() }
        return self.flush().flatMap { self.connection.close() }
    }

    /// Sends what was recorded since the last flush; on failure keeps it for the next one.
    public func flush() -> EventLoopFuture<Void> {
        let rows = self.ledger.takeUnsent()
        guard !rows.isEmpty else { return self.connection.eventLoop.makeSucceededVoidFuture() }
        var commands: [[ByteBuffer]] = []
        for (id, row) in rows {
            let key = self.rowKey(id)
            commands.append(Self.args("SADD", self.idsKey, id))
            commands.append(Self.args("HINCRBY", key, "calls", String(row.calls)))
            commands.append(Self.args("HINCRBY", key, "hits", String(row.hits)))
            commands.append(Self.args("HINCRBY", key, "units_billed", String(row.unitsBilled)))
            commands.append(Self.args("HINCRBY", key, "units_saved", String(row.unitsSaved)))
            if row.amountBilled > 0 { commands.append(Self.args("HINCRBYFLOAT", key, "amount_billed", String(row.amountBilled))) }
            if row.amountSaved > 0 { commands.append(Self.args("HINCRBYFLOAT", key, "amount_saved", String(row.amountSaved))) }
        }
        let ledger = self.ledger
        return self.connection.pipeline(commands).flatMapThrowing { replies in
            if replies.contains(where: { $0.errorMessage != nil }) { throw LedgerSyncError() }
        }.flatMapError { _ in
            ledger.putBack(rows)
            return self.connection.eventLoop.makeSucceededVoidFuture()
        }
    }

    /// The fleet's rows (this instance's latest increments included); nil when Redis cannot be read.
    public func fleetRows() -> EventLoopFuture<[String: Ledger.Row]?> {
        self.flush().flatMap {
            self.connection.send("SMEMBERS", self.idsKey)
        }.flatMap { reply -> EventLoopFuture<[String: Ledger.Row]?> in
            guard let ids = reply.array?.compactMap(\.string) else {
                return self.connection.eventLoop.makeSucceededFuture(nil)
            }
            let chosen = Array(ids.prefix(Self.readLimit))
            guard !chosen.isEmpty else { return self.connection.eventLoop.makeSucceededFuture([:]) }
            return self.connection.pipeline(chosen.map { Self.args("HGETALL", self.rowKey($0)) }).map { replies in
                var rows: [String: Ledger.Row] = [:]
                for (id, reply) in zip(chosen, replies) {
                    guard let fields = reply.array?.compactMap(\.string) else { continue }
                    var row = Ledger.Row()
                    for index in stride(from: 0, to: fields.count - 1, by: 2) {
                        let value = fields[index + 1]
                        switch fields[index] {
                        case "calls": row.calls = Int(value) ?? 0
                        case "hits": row.hits = Int(value) ?? 0
                        case "units_billed": row.unitsBilled = Int(value) ?? 0
                        case "units_saved": row.unitsSaved = Int(value) ?? 0
                        case "amount_billed": row.amountBilled = Double(value) ?? 0
                        case "amount_saved": row.amountSaved = Double(value) ?? 0
                        default: break
                        }
                    }
                    rows[id] = row
                }
                return rows
            }
        }.recover { _ in nil }
    }

    private static func args(_ parts: String...) -> [ByteBuffer] {
        parts.map { ByteBuffer(string: $0) }
    }
}

public struct LedgerSyncError: Error {}
