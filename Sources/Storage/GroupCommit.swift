import Foundation
import GenAIMapping

/// Commits the rows of concurrent requests together: one transaction and one fsync for every
/// request that arrived while the previous commit ran. Each request still learns its own outcome
/// only after the transaction holding its rows has committed, and each runs in its own
/// savepoint, so one request's bad rows never undo another's.
///
/// Leader/follower: the first waiting request commits the whole queue on its own thread, so a
/// lone request commits at once, exactly as it would alone.
final class GroupCommit: @unchecked Sendable {
    private final class Pending {
        let records: [LLMLogRecord]
        let apiKeyID: Int64
        let receivedAt: Int64
        var outcome: Result<Int, StorageError>?

        init(records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64) {
            self.records = records
            self.apiKeyID = apiKeyID
            self.receivedAt = receivedAt
        }
    }

    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var committing = false
    /// Runs one batch: `begin`, then `apply` per request inside its savepoint, then `commit`.
    private let writer: (_ batch: [(records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64)]) -> [Result<Int, StorageError>]

    init(writer: @escaping (_ batch: [(records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64)]) -> [Result<Int, StorageError>]) {
        self.writer = writer
    }

    func submit(_ records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64) throws(StorageError) -> Int {
        let pending = Pending(records: records, apiKeyID: apiKeyID, receivedAt: receivedAt)
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
            let outcomes = writer(batch.map { ($0.records, $0.apiKeyID, $0.receivedAt) })
            condition.lock()
            for (request, outcome) in zip(batch, outcomes) { request.outcome = outcome }
            committing = false
            condition.broadcast()
        }
        condition.unlock()
        return try pending.outcome!.get()
    }
}
