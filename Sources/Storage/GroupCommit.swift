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

    /// Rows this write inserts, for the per-transaction cap.
    var rows: Int {
        switch payload {
        case .spans(let records): records.count
        case .events(let events): events.count
        }
    }
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
        /// Taken into a batch: from then on only the batch's outcome ends the wait.
        var taken = false

        init(_ write: StoreWrite) {
            self.write = write
        }
    }

    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var committing = false
    /// Runs one batch: `begin`, then `apply` per request inside its savepoint, then `commit`.
    private let writer: (_ batch: [StoreWrite]) -> [Result<Int, StorageError>]
    /// Rows one transaction takes at most (a single larger request still goes alone), so that one
    /// tenant's huge write holds the others' for one commit at most.
    private let maxRowsPerTransaction: Int
    /// How long a request waits for its turn before it is answered busy (503) instead.
    private let maxWait: TimeInterval

    init(maxRowsPerTransaction: Int = 5_000, maxWait: TimeInterval = 30,
         writer: @escaping (_ batch: [StoreWrite]) -> [Result<Int, StorageError>]) {
        self.maxRowsPerTransaction = maxRowsPerTransaction
        self.maxWait = maxWait
        self.writer = writer
    }

    func submit(_ write: StoreWrite) throws(StorageError) -> Int {
        let pending = Pending(write)
        let deadline = Date().addingTimeInterval(maxWait)
        condition.lock()
        queue.append(pending)
        while pending.outcome == nil {
            if committing {
                if !condition.wait(until: deadline), !pending.taken, Date() >= deadline {
                    // Never written: leaving the queue now stores nothing, so busy is the truth.
                    queue.removeAll { $0 === pending }
                    condition.unlock()
                    throw .busy
                }
                continue
            }
            committing = true
            let batch = nextBatch()
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

    /// The oldest queued requests up to the row cap (always at least one). Called under the lock.
    private func nextBatch() -> [Pending] {
        var rows = 0
        var count = 0
        for request in queue {
            if count > 0 && rows + request.write.rows > maxRowsPerTransaction { break }
            rows += request.write.rows
            count += 1
        }
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        for request in batch { request.taken = true }
        return batch
    }
}
