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
        ])
        #expect(try outcomes[0].get() == 2)
        #expect(throws: StorageError.failed("refused")) { try outcomes[1].get() }
        #expect(try outcomes[2].get() == 1)
        #expect(try store.recentLogs(limit: 10).map(\.record.spanID).sorted() == ["0000000000000001", "0000000000000002", "0000000000000005"])
        #expect(store.committedTransactions == 1)
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
