import Foundation
import LLMLog
import Testing
@testable import Storage
import TestSupport

@Suite struct WALFlusherTests {
    @Test func oneSyncCoversEveryCommitWrittenBeforeIt() throws {
        let folder = temporaryFolder()
        defer { removeTemporaryFolder(folder) }
        try Data("frames".utf8).write(to: URL(fileURLWithPath: folder + "/db-wal"))
        let flusher = WALFlusher(databasePath: folder + "/db")
        let first = flusher.noteCommit()
        let second = flusher.noteCommit()
        try flusher.flush(through: first)
        try flusher.flush(through: second)
        #expect(flusher.syncs == 1)
        // SQLite made a new file (all connections closed meanwhile): the next sync is of that one.
        try FileManager.default.removeItem(atPath: folder + "/db-wal")
        try Data("new".utf8).write(to: URL(fileURLWithPath: folder + "/db-wal"))
        try flusher.flush(through: flusher.noteCommit())
        #expect(flusher.syncs == 2)
    }

    @Test func afterAFailedSyncNothingIsAcknowledged() throws {
        let folder = temporaryFolder()
        defer { removeTemporaryFolder(folder) }
        // The kernel refuses to sync a character device (EINVAL): a real failed fdatasync.
        try FileManager.default.createSymbolicLink(atPath: folder + "/db-wal", withDestinationPath: "/dev/null")
        let flusher = WALFlusher(databasePath: folder + "/db")
        #expect { try flusher.flush(through: flusher.noteCommit()) } throws: { error in
            guard case StorageError.unavailable(let reason) = error else { return false }
            return reason.contains("fdatasync") && reason.contains("restart")
        }
        try FileManager.default.removeItem(atPath: folder + "/db-wal")
        try Data("frames".utf8).write(to: URL(fileURLWithPath: folder + "/db-wal"))
        #expect(throws: StorageError.self) { try flusher.flush(through: flusher.noteCommit()) }
        #expect(throws: StorageError.self) { try flusher.throwIfFailed() }
        #expect(flusher.syncs == 0)
    }

    @Test func aWALThatCannotBeFoundFailsThatFlushAlone() throws {
        let folder = temporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let flusher = WALFlusher(databasePath: folder + "/db")
        #expect(throws: StorageError.self) { try flusher.flush(through: flusher.noteCommit()) }
        try Data("frames".utf8).write(to: URL(fileURLWithPath: folder + "/db-wal"))
        try flusher.flush(through: flusher.noteCommit())
        #expect(flusher.syncs == 1)
        try flusher.throwIfFailed()
    }

    /// The group commit's transactions skip SQLite's own sync and are synced by the flusher before
    /// `insert` returns; the connection's other writes keep `synchronous = FULL`.
    @Test func aStoredRequestIsSyncedByTheFlusherAndTheConnectionStaysFull() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let key = try store.createKey(name: "dev")
        #expect(store.walSyncs == 0)
        #expect(try store.insert([record("0000000000000001")], apiKeyID: key.id, receivedAt: 1) == 1)
        #expect(store.walSyncs == 1)
        let level = try store.withConnection { (db) throws(StorageError) -> Int64? in
            let pragma = try db.prepare("PRAGMA synchronous")
            _ = try pragma.step()
            return pragma.int64(0)
        }
        #expect(level == 2)
        // A retried export stores nothing new and commits nothing to sync.
        #expect(try store.insert([record("0000000000000001")], apiKeyID: key.id, receivedAt: 1) == 0)
        #expect(try store.recentLogs(limit: 10).count == 1)
    }
}

@Suite struct FailedSyncTests {
    /// A real failed fdatasync under a real store: the request that needed it is not acknowledged,
    /// nor is any later one or the health check, and the owner is told once.
    @Test func afterAFailedSyncTheStoreAcknowledgesNothingMoreAndSaysSo() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let key = try store.createKey(name: "dev")
        let reasons = LockedList<String>()
        store.onSyncFailure = { reasons.append($0) }
        #expect(try store.insert([record("0000000000000001")], apiKeyID: key.id, receivedAt: 1) == 1)
        // The WAL's name now leads to a device the kernel refuses to sync (EINVAL); SQLite keeps
        // writing to the file it has open.
        let wal = fixture.path + "-wal"
        try FileManager.default.removeItem(atPath: wal)
        try FileManager.default.createSymbolicLink(atPath: wal, withDestinationPath: "/dev/null")
        #expect(throws: StoreError.self) { try store.insert([record("0000000000000002")], apiKeyID: key.id, receivedAt: 1) }
        try FileManager.default.removeItem(atPath: wal)
        try Data().write(to: URL(fileURLWithPath: wal))
        #expect(throws: StoreError.self) { try store.insert([record("0000000000000003")], apiKeyID: key.id, receivedAt: 1) }
        #expect(throws: StoreError.self) { try store.checkWrites() }
        #expect(reasons.values.count == 1)
        #expect(reasons.values.first?.contains("fdatasync") == true)
    }
}
