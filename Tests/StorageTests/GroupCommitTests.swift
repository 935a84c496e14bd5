import Foundation
import Testing
@testable import Storage
import TestSupport

@Suite struct GroupCommitTests {
    @Test func oneRequestsBadRowsDoNotUndoTheOthersInTheSameTransaction() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let key = try store.createKey(name: "dev")
        try store.refuseRowsNamedBoom()
        let outcomes = store.commitBatch([
            StoreWrite(payload: .spans([record("0000000000000001"), record("0000000000000002")]), apiKeyID: key.id, receivedAt: 1),
            StoreWrite(payload: .spans([record("0000000000000003"), record("0000000000000004", spanName: "boom")]), apiKeyID: key.id, receivedAt: 1),
            StoreWrite(payload: .spans([record("0000000000000005")]), apiKeyID: key.id, receivedAt: 1),
        ]).outcomes
        #expect(try outcomes[0].get() == 2)
        #expect(throws: StorageError.failed("refused")) { try outcomes[1].get() }
        #expect(try outcomes[2].get() == 1)
        #expect(try store.recentLogs(limit: 10).map(\.record.spanID).sorted() == ["0000000000000001", "0000000000000002", "0000000000000005"])
        #expect(store.committedTransactions == 1)
        // The batch ran twice (without savepoints, then with): usage counts the three rows once.
        #expect(try store.dailyUsage(sinceUnixNano: 0, readable: .all).map(\.calls) == [3])
    }

    @Test func aBatchWithoutFailuresTakesNoSavepointAndOneWithAFailureRunsAgainInSavepoints() {
        let writes = (1...3).map { StoreWrite(payload: .spans([record(String(format: "%016x", $0))]), apiKeyID: 1, receivedAt: 1) }
        func run(failing: Int?) -> (sql: [String], restarts: Int, outcomes: [Int?]) {
            var sql: [String] = []
            var restarts = 0
            let outcomes = GroupCommit.inOneTransaction(writes, begin: "BEGIN", execute: { sql.append($0) }, restart: { restarts += 1 },
                writeSpans: { (records, _, _) throws(StorageError) -> Int in
                    if records[0].spanID == failing.map({ String(format: "%016x", $0) }) { throw .failed("refused") }
                    sql.append("insert")
                    return records.count
                }, writeEvents: { _, _, _ in 0 }, beforeCommit: { sql.append("usage") })
            return (sql, restarts, outcomes.map { try? $0.get() })
        }
        let clean = run(failing: nil)
        #expect(clean.sql == ["BEGIN", "insert", "insert", "insert", "usage", "COMMIT"])
        #expect(clean.restarts == 1 && clean.outcomes == [1, 1, 1])
        let failed = run(failing: 2)
        #expect(failed.sql == ["BEGIN", "insert", "ROLLBACK", "BEGIN",
                               "SAVEPOINT request", "insert", "RELEASE SAVEPOINT request",
                               "SAVEPOINT request", "ROLLBACK TO SAVEPOINT request", "RELEASE SAVEPOINT request",
                               "SAVEPOINT request", "insert", "RELEASE SAVEPOINT request", "usage", "COMMIT"])
        #expect(failed.restarts == 2 && failed.outcomes == [1, nil, 1])
    }

    @Test func concurrentRequestsShareTransactionsAndAllAreStored() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let key = try store.createKey(name: "dev")
        let requests = 64
        let failures = LockedCounter()
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        // Real threads, all released at once (a 2-core pool would run two at a time).
        for index in 0..<requests {
            done.enter()
            Thread {
                let rows = (0..<20).map { row in record(String(format: "%08x%08x", index, row)) }
                start.wait()
                do {
                    try store.insert(rows, apiKeyID: key.id, receivedAt: 1)
                } catch {
                    failures.increment()
                }
                done.leave()
            }.start()
        }
        for _ in 0..<requests { start.signal() }
        done.wait()
        #expect(failures.value == 0)
        #expect(try store.recentLogs(limit: 10_000).count == requests * 20)
        #expect(store.committedTransactions < requests)
    }

    @Test func aLoneRequestCommitsInItsOwnTransaction() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let key = try store.createKey(name: "dev")
        for index in 0..<3 {
            #expect(try store.insert([record(String(format: "%016x", index + 1))], apiKeyID: key.id, receivedAt: 1) == 1)
        }
        #expect(store.committedTransactions == 3)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

@Suite struct GroupCommitDurabilityTests {
    /// SQLite's batches are synced after the writer's turn: the next batch commits meanwhile, and
    /// no request is answered before its own batch is durable.
    @Test func theNextBatchCommitsWhileTheLastIsSyncedAndNoneIsAnsweredBefore() {
        let events = LockedList<String>()
        let syncing = DispatchSemaphore(value: 0)
        let releaseSync = DispatchSemaphore(value: 0)
        let commit = GroupCommit { batch in
            let key = batch[0].apiKeyID
            events.append("commit \(key)")
            return GroupCommit.Committed(outcomes: batch.map { _ in .success(1) }) { () throws(StorageError) in
                if key == 1 {
                    syncing.signal()
                    releaseSync.wait()
                }
                events.append("durable \(key)")
            }
        }
        func submit(_ key: Int64, then done: DispatchSemaphore) {
            Thread {
                if (try? commit.submit(StoreWrite(payload: .spans([record()]), apiKeyID: key, receivedAt: 0))) == 1 {
                    events.append("answered \(key)")
                }
                done.signal()
            }.start()
        }
        let firstDone = DispatchSemaphore(value: 0)
        let secondDone = DispatchSemaphore(value: 0)
        submit(1, then: firstDone)
        syncing.wait()
        submit(2, then: secondDone)
        let secondWasAnswered = secondDone.wait(timeout: .now() + 10) == .success
        #expect(secondWasAnswered)
        #expect(!events.values.contains("answered 1"))
        releaseSync.signal()
        firstDone.wait()
        if !secondWasAnswered { secondDone.wait() }
        #expect(events.values == ["commit 1", "commit 2", "durable 2", "answered 2", "durable 1", "answered 1"])
    }

    @Test func aBatchWhoseSyncFailsIsNotAcknowledged() {
        let commit = GroupCommit { batch in
            GroupCommit.Committed(outcomes: batch.map { _ in .success(1) }) { () throws(StorageError) in
                throw .unavailable("fdatasync failed")
            }
        }
        #expect(throws: StorageError.unavailable("fdatasync failed")) {
            try commit.submit(StoreWrite(payload: .spans([record()]), apiKeyID: 1, receivedAt: 0))
        }
    }
}


@Suite struct GroupCommitWaitTests {
    /// A request taken into a batch that outlasts the wait limit sleeps until its outcome: it is
    /// neither answered busy (its rows are being written) nor spinning on a deadline already past.
    @Test func aTakenRequestWaitsForItsBatchWithoutSpinning() throws {
        let firstRunning = DispatchSemaphore(value: 0)
        let releaseFirst = DispatchSemaphore(value: 0)
        let batches = LockedList<[Int]>()
        let commit = GroupCommit(maxWait: 0.1) { batch in
            batches.append(batch.map { Int($0.apiKeyID) })
            if batch[0].apiKeyID == 1 {
                firstRunning.signal()
                releaseFirst.wait()
            } else {
                Thread.sleep(forTimeInterval: 0.5)
            }
            return GroupCommit.Committed(outcomes: batch.map { _ in .success(1) })
        }
        let done = DispatchGroup()
        let waited = LockedList<(answered: Bool, cpuSeconds: Double)>()
        func submit(_ key: Int64, measured: Bool = false) {
            done.enter()
            Thread {
                let before = threadCPUSeconds()
                let outcome = (try? commit.submit(StoreWrite(payload: .spans([record()]), apiKeyID: key, receivedAt: 0))) == 1
                if measured { waited.append((outcome, threadCPUSeconds() - before)) }
                done.leave()
            }.start()
        }
        submit(1)
        firstRunning.wait()
        submit(2)
        Thread.sleep(forTimeInterval: 0.02)
        submit(3, measured: true)
        Thread.sleep(forTimeInterval: 0.02)
        releaseFirst.signal()
        // A spinning waiter can starve the leader of the lock it needs to answer (it did, for minutes).
        let finished = done.wait(timeout: .now() + 20) == .success
        #expect(finished)
        guard finished else { return }
        // Requests 2 and 3 queued behind the first batch and were committed together, by 2's thread.
        #expect(batches.values == [[1], [2, 3]])
        #expect(waited.values.first?.answered == true)
        // Spinning for the 0.5 s commit would have taken about that much CPU.
        #expect((waited.values.first?.cpuSeconds ?? 1) < 0.2)
    }
}

/// CPU time the calling thread has used.
private func threadCPUSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
