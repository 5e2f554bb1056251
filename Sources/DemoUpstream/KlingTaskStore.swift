import Synchronization

/// Kling image tasks: created by POST, advanced by polling (submitted → processing → succeed).
final class KlingTaskStore: Sendable {
    // MARK: Types

    struct Task: Sendable {
        var taskID: String
        var issuer: String
        var account: String
        var model: String
        var prompt: String
        var count: Int
        var externalTaskID: String?
        var createdAt: Int64
        var updatedAt: Int64
        var polls = 0
    }

    // MARK: State

    private let tasks = Mutex([String: Task]())

    // MARK: Operations

    func create(_ task: Task) {
        self.tasks.withLock { $0[task.taskID] = task }
    }

    /// Counts one poll of the issuer's task and returns it with its status; nil when the issuer has no such task.
    /// Polls 1...`pollsUntilDone` see submitted (the first) or processing; later polls see succeed.
    func poll(taskID: String, issuer: String, pollsUntilDone: Int, now: Int64) -> (Task, String)? {
        self.tasks.withLock { tasks in
            guard var task = tasks[taskID] ?? tasks.values.first(where: { $0.externalTaskID == taskID }),
                task.issuer == issuer
            else { return nil }
            task.polls += 1
            let status: String
            if task.polls > pollsUntilDone {
                status = "succeed"
            } else {
                status = task.polls == 1 ? "submitted" : "processing"
                task.updatedAt = now
            }
            tasks[task.taskID] = task
            return (task, status)
        }
    }

    func list(issuer: String) -> [Task] {
        self.tasks.withLock { tasks in
            tasks.values.filter { $0.issuer == issuer }.sorted { $0.createdAt > $1.createdAt }
        }
    }

    func externalIDInUse(_ externalTaskID: String, issuer: String) -> Bool {
        self.tasks.withLock { tasks in
            tasks.values.contains { $0.issuer == issuer && $0.externalTaskID == externalTaskID }
        }
    }
}
