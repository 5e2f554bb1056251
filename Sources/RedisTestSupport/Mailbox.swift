import NIOConcurrencyHelpers

/// Collects values posted from callbacks (on any thread) so that a test can await them.
///
/// Waiting always has a deadline, and the deadline only ever fails the test: it is never how a
/// test synchronises. Thread safety: the buffer and the waiter are behind a `NIOLockedValueBox`.
public final class Mailbox<Value: Sendable>: Sendable {
    public struct TimedOut: Error, CustomStringConvertible {
        public let description: String
    }

    private struct State {
        var buffered: [Value] = []
        var waiter: CheckedContinuation<Value?, Never>?
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Delivers `value` to the waiting test, or keeps it until the test asks.
    public func post(_ value: Value) {
        let waiter = self.state.withLockedValue { state -> CheckedContinuation<Value?, Never>? in
            guard let waiter = state.waiter else {
                state.buffered.append(value)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: value)
    }

    /// The next value that satisfies `predicate` (earlier values that do not are dropped).
    ///
    /// - Throws: ``TimedOut`` if none comes within `timeout`.
    public func next(
        _ what: String,
        within timeout: Duration = .seconds(10),
        where predicate: (Value) -> Bool = { _ in true }
    ) async throws -> Value {
        let deadline = ContinuousClock.now + timeout
        while let value = await self.receive(until: deadline) {
            if predicate(value) {
                return value
            }
        }
        throw TimedOut(description: "timed out after \(timeout) waiting for \(what)")
    }

    /// The next value, or `nil` once `deadline` passes.
    private func receive(until deadline: ContinuousClock.Instant) async -> Value? {
        await withTaskGroup(of: Value?.self) { group in
            group.addTask {
                await self.receive()
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// The next value, or `nil` if the task is cancelled first.
    private func receive() async -> Value? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let ready = self.state.withLockedValue { state -> Value?? in
                    if !state.buffered.isEmpty {
                        return .some(state.buffered.removeFirst())
                    }
                    if Task.isCancelled {
                        return .some(nil)
                    }
                    state.waiter = continuation
                    return .none
                }
                if let ready {
                    continuation.resume(returning: ready)
                }
            }
        } onCancel: {
            let waiter = self.state.withLockedValue { state -> CheckedContinuation<Value?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
