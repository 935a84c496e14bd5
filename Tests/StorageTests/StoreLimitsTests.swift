import LLMLog
import Foundation
import Testing
@testable import Storage
import TestSupport

@Suite struct StoreLimitsTests {
    @Test func aQueuedWriteThatWaitsTooLongIsAnsweredBusyAndNeverWritten() throws {
        let release = DispatchSemaphore(value: 0)
        let written = LockedCounter()
        let commit = GroupCommit(maxWait: 0.2) { batch in
            if batch.contains(where: { $0.apiKeyID == 1 }) { release.wait() }
            for _ in batch { written.increment() }
            return GroupCommit.Committed(outcomes: batch.map { _ in .success(1) })
        }
        let slow = Thread { _ = try? commit.submit(StoreWrite(payload: .spans([record()]), apiKeyID: 1, receivedAt: 0)) }
        slow.start()
        Thread.sleep(forTimeInterval: 0.05)
        #expect(throws: StorageError.busy) {
            try commit.submit(StoreWrite(payload: .spans([record()]), apiKeyID: 2, receivedAt: 0))
        }
        release.signal()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(written.value == 1)
    }

    @Test func oneTransactionTakesAtMostTheRowCap() throws {
        let batches = LockedList<[Int]>()
        let commit = GroupCommit(maxRowsPerTransaction: 3) { batch in
            batches.append(batch.map(\.rows))
            Thread.sleep(forTimeInterval: 0.05)
            return GroupCommit.Committed(outcomes: batch.map { .success($0.rows) })
        }
        let group = DispatchGroup()
        for _ in 0..<6 {
            DispatchQueue.global().async(group: group) {
                _ = try? commit.submit(StoreWrite(payload: .spans([record(), record()]), apiKeyID: 1, receivedAt: 0))
            }
        }
        group.wait()
        #expect(batches.values.allSatisfy { $0.count == 1 })   // two rows each: never two in one
        #expect(batches.values.flatMap { $0 }.reduce(0, +) == 12)
    }

    @Test func oneTransactionTakesAtMostTheByteCap() throws {
        let batches = LockedList<[Int]>()
        let commit = GroupCommit(maxBytesPerTransaction: 1_000) { batch in
            batches.append(batch.map(\.rows))
            Thread.sleep(forTimeInterval: 0.05)
            return GroupCommit.Committed(outcomes: batch.map { .success($0.rows) })
        }
        var prompted = record()
        prompted.prompt = String(repeating: "p", count: 600)
        let big = prompted
        let group = DispatchGroup()
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                _ = try? commit.submit(StoreWrite(payload: .spans([big]), apiKeyID: 1, receivedAt: 0))
            }
        }
        group.wait()
        #expect(batches.values.allSatisfy { $0.count == 1 })   // 600 bytes each: never two under 1 000
        #expect(batches.values.count == 4)
    }

    @Test func aFileThatIsNotADatabaseIsRefusedAsCorruptNotRetried() throws {
        let fixture = StoreFixture()
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: fixture.path))
        #expect {
            try fixture.open()
        } throws: { error in
            (error as? StoreError).map { !$0.isRetryable && $0.description.contains("corrupt or not a database") } == true
        }
    }

    @Test func theWALIsTruncatedAfterACheckpoint() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let limit = try store.withConnection { db throws(StorageError) -> Int64? in
            let statement = try db.prepare("PRAGMA journal_size_limit")
            _ = try statement.step()
            return statement.int64(0)
        }
        #expect(limit == 64 << 20)
    }
}

/// What concurrent threads of a test append, in the order they did.
final class LockedList<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Element] = []
    func append(_ value: Element) { lock.withLock { list.append(value) } }
    var values: [Element] { lock.withLock { list } }
}
