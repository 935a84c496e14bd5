import Foundation
import GenAIMapping

/// What one request writes: the rows of its GenAI spans, or the content events of its logs.
struct StoreWrite {
    enum Payload {
        case spans([LLMLogRecord])
        case events([GenAIContentEvent])
    }

    var payload: Payload
    var apiKeyID: Int64
    var receivedAt: Int64
}

/// Commits the rows of concurrent requests together: one transaction and one fsync for every
/// request that arrived while the previous commit ran. Each request still learns its own outcome
/// only after the transaction holding its rows has committed, and each runs in its own
/// savepoint, so one request's bad rows never undo another's.
///
/// Leader/follower: the first waiting request commits the whole queue on its own thread, so a
/// lone request commits at once, exactly as it would alone.
final class GroupCommit: @unchecked Sendable {
    private final class Pending {
        let write: StoreWrite
        var outcome: Result<Int, StorageError>?

        init(_ write: StoreWrite) {
            self.write = write
        }
    }

    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var committing = false
    /// Runs one batch: `begin`, then `apply` per request inside its savepoint, then `commit`.
    private let writer: (_ batch: [StoreWrite]) -> [Result<Int, StorageError>]

    init(writer: @escaping (_ batch: [StoreWrite]) -> [Result<Int, StorageError>]) {
        self.writer = writer
    }

    func submit(_ write: StoreWrite) throws(StorageError) -> Int {
        let pending = Pending(write)
        condition.lock()
        queue.append(pending)
        while pending.outcome == nil {
            if committing {
                condition.wait()
                continue
            }
            committing = true
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            let outcomes = writer(batch.map(\.write))
            condition.lock()
            for (request, outcome) in zip(batch, outcomes) { request.outcome = outcome }
            committing = false
            condition.broadcast()
        }
        condition.unlock()
        return try pending.outcome!.get()
    }
}
