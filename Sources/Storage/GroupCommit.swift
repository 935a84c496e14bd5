import LLMLog
import Foundation
import ReceiverMetrics

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

    /// The bulk of the text this write stores, for the per-transaction cap.
    var bytes: Int {
        switch payload {
        case .spans(let records):
            records.reduce(0) { $0 + $1.attributesJSON.utf8.count + ($1.prompt?.utf8.count ?? 0) + ($1.completion?.utf8.count ?? 0) }
        case .events(let events):
            events.reduce(0) { $0 + $1.messagesJSON.utf8.count }
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
        let bytes: Int
        var outcome: Result<Int, StorageError>?
        /// Taken into a batch: from then on only the batch's outcome ends the wait.
        var taken = false

        init(_ write: StoreWrite) {
            self.write = write
            self.bytes = write.bytes
        }
    }

    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var committing = false
    /// What one batch's transaction came to.
    struct Committed {
        /// Each request's outcome, in the batch's order.
        var outcomes: [Result<Int, StorageError>]
        /// What must still happen before a success is true (SQLite: syncing the WAL); it runs after
        /// the next batch may start.
        var makeDurable: (() throws(StorageError) -> Void)? = nil
    }

    /// Runs one batch: `begin`, then `apply` per request inside its savepoint, then `commit`.
    private let writer: (_ batch: [StoreWrite]) -> Committed
    /// Rows and bytes one transaction takes at most (a single larger request still goes alone),
    /// so that one tenant's huge write holds the others' for one commit at most.
    private let maxRowsPerTransaction: Int
    private let maxBytesPerTransaction: Int
    /// How long a request waits for its turn before it is answered busy (503) instead.
    private let maxWait: TimeInterval

    init(maxRowsPerTransaction: Int = 5_000, maxBytesPerTransaction: Int = 32 << 20, maxWait: TimeInterval = 30,
         writer: @escaping (_ batch: [StoreWrite]) -> Committed) {
        self.maxRowsPerTransaction = maxRowsPerTransaction
        self.maxBytesPerTransaction = maxBytesPerTransaction
        self.maxWait = maxWait
        self.writer = writer
    }

    func submit(_ write: StoreWrite) throws(StorageError) -> Int {
        let pending = Pending(write)
        let deadline = Date().addingTimeInterval(maxWait)
        condition.lock()
        queue.append(pending)
        while pending.outcome == nil {
            // A taken request waits for its own batch's leader, however long that batch's commit and
            // sync take: its rows may be written, so only their outcome may answer it (and a wait
            // until a past deadline would return at once, again and again).
            if pending.taken {
                condition.wait()
                continue
            }
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
            let started = DispatchTime.now().uptimeNanoseconds
            let committed = writer(batch.map(\.write))
            let ended = DispatchTime.now().uptimeNanoseconds
            ReceiverMetrics.committed(nanoseconds: Int64(ended - started), requests: batch.count)
            condition.withLock {
                committing = false
                condition.broadcast()
            }
            var outcomes = committed.outcomes
            if let makeDurable = committed.makeDurable {
                do {
                    try makeDurable()
                } catch {
                    outcomes = outcomes.map { $0.flatMap { _ in .failure(error) } }
                }
                ReceiverMetrics.commitPhase(.sync, nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - ended))
            }
            condition.lock()
            for (request, outcome) in zip(batch, outcomes) { request.outcome = outcome }
            condition.broadcast()
        }
        condition.unlock()
        return try pending.outcome!.get()
    }

    /// A request's rows, through the next batch; how many were new.
    func insert(_ records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64) throws(StoreError) -> Int {
        guard !records.isEmpty else { return 0 }
        do {
            return try submit(StoreWrite(payload: .spans(records), apiKeyID: apiKeyID, receivedAt: receivedAt))
        } catch {
            throw error.storeError
        }
    }

    /// A request's content events, through the next batch; how many were new.
    func insert(_ events: [GenAIContentEvent], apiKeyID: Int64, receivedAt: Int64) throws(StoreError) -> Int {
        guard !events.isEmpty else { return 0 }
        do {
            return try submit(StoreWrite(payload: .events(events), apiKeyID: apiKeyID, receivedAt: receivedAt))
        } catch {
            throw error.storeError
        }
    }

    /// One transaction for a batch of requests, in SQL both engines speak: a request whose rows
    /// fail is rolled back alone; a failure of the transaction itself (busy, disk full, connection
    /// lost) fails them all. `beforeCommit` brings what is derived from the batch's rows up to date
    /// (`UsageDays`) in the same transaction; `restart` forgets what an attempt wrote down.
    ///
    /// The batch runs first without savepoints: a savepoint makes SQLite copy every page it is
    /// about to change to a statement journal, a temporary file (at W1 c=16 that was 4 times what
    /// the WAL took). Only when a request fails is the transaction rolled back and the batch run
    /// again with one savepoint per request, so that the failure is that request's alone.
    static func inOneTransaction(_ batch: [StoreWrite], begin: String, execute: (String) throws(StorageError) -> Void,
                                 restart: () -> Void,
                                 writeSpans: ([LLMLogRecord], Int64, Int64) throws(StorageError) -> Int,
                                 writeEvents: ([GenAIContentEvent], Int64, Int64) throws(StorageError) -> Int,
                                 beforeCommit: () throws(StorageError) -> Void) -> [Result<Int, StorageError>] {
        func write(_ request: StoreWrite) throws(StorageError) -> Int {
            switch request.payload {
            case .spans(let records): try writeSpans(records, request.apiKeyID, request.receivedAt)
            case .events(let events): try writeEvents(events, request.apiKeyID, request.receivedAt)
            }
        }
        func failAll(_ error: StorageError) -> [Result<Int, StorageError>] {
            try? execute("ROLLBACK")
            return Array(repeating: .failure(error), count: batch.count)
        }
        var phaseStarted = DispatchTime.now().uptimeNanoseconds
        func phaseEnded(_ phase: ReceiverMetrics.CommitPhase) {
            let now = DispatchTime.now().uptimeNanoseconds
            ReceiverMetrics.commitPhase(phase, nanoseconds: Int64(now - phaseStarted))
            phaseStarted = now
        }
        /// The batch's outcomes, or nil when a request failed without savepoints (rolled back).
        func attempt(inSavepoints: Bool) -> [Result<Int, StorageError>]? {
            restart()
            phaseStarted = DispatchTime.now().uptimeNanoseconds
            do {
                try execute(begin)
            } catch {
                return Array(repeating: .failure(error), count: batch.count)
            }
            phaseEnded(.begin)
            var outcomes: [Result<Int, StorageError>] = []
            outcomes.reserveCapacity(batch.count)
            for request in batch {
                do {
                    if inSavepoints { try execute("SAVEPOINT request") }
                    let inserted = try write(request)
                    if inSavepoints { try execute("RELEASE SAVEPOINT request") }
                    outcomes.append(.success(inserted))
                } catch {
                    // Alone in its transaction, a request's failure is the transaction's.
                    if error.isRetryable || batch.count == 1 { return failAll(error) }
                    guard inSavepoints else {
                        try? execute("ROLLBACK")
                        return nil
                    }
                    try? execute("ROLLBACK TO SAVEPOINT request")
                    try? execute("RELEASE SAVEPOINT request")
                    outcomes.append(.failure(error))
                }
            }
            phaseEnded(.rows)
            do {
                try beforeCommit()
                phaseEnded(.derived)
                try execute("COMMIT")
                phaseEnded(.commit)
            } catch {
                return failAll(error)
            }
            return outcomes
        }
        return attempt(inSavepoints: false) ?? attempt(inSavepoints: true)!
    }

    /// The oldest queued requests up to the caps (always at least one). Called under the lock.
    private func nextBatch() -> [Pending] {
        var rows = 0
        var bytes = 0
        var count = 0
        for request in queue {
            if count > 0 && (rows + request.write.rows > maxRowsPerTransaction || bytes + request.bytes > maxBytesPerTransaction) { break }
            rows += request.write.rows
            bytes += request.bytes
            count += 1
        }
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        for request in batch { request.taken = true }
        return batch
    }
}
