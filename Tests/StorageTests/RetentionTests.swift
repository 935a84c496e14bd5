import Foundation
import LLMLog
import Testing
@testable import Storage

@Suite struct RetentionTests {
    /// A row of its own span id, started `startUnixNano`, under a resource of its service.
    func row(_ index: Int, start: UInt64, service: String = "checkout", prompt: String = "question") -> LLMLogRecord {
        var value = record(String(format: "%016x", index + 1))
        value.startTimeUnixNano = start
        value.endTimeUnixNano = start + 1_000_000
        value.serviceName = service
        value.resourceJSON = #"{"service.name":"\#(service)"}"#
        value.prompt = prompt
        return value
    }

    func count(_ store: SQLiteLogStore, _ sql: String) throws -> Int64 {
        try store.withConnection { db throws(StorageError) in
            let query = try db.prepare(sql)
            _ = try query.step()
            return query.int64(0) ?? -1
        }
    }

    @Test func rowsStartedBeforeTheCutoffGoInPassesOfTheLimitAndTheRestStays() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let key = try store.createKey(name: "dev")
        let old = (0..<7).map { row($0, start: 1_000, service: "old-service") }
        let new = (7..<10).map { row($0, start: 5_000) }
        #expect(try store.insert(old + new, apiKeyID: key.id, receivedAt: 1) == 10)

        var passes: [PruneResult] = []
        repeat {
            passes.append(try store.prune(startedBefore: 5_000, limit: 3))
        } while !passes.last!.isDone
        #expect(passes.map(\.rows) == [3, 3, 1])
        // The resource that only old rows used goes with the last pass; the one still in use stays.
        #expect(passes.map(\.resources) == [0, 0, 1])
        let left = try store.recentLogs(limit: 20)
        #expect(left.map(\.record.startTimeUnixNano) == [5_000, 5_000, 5_000])
        #expect(left.allSatisfy { $0.record.resourceJSON == #"{"service.name":"checkout"}"# })
        #expect(try count(store, "SELECT count(*) FROM resources") == 1)
        #expect(try store.prune(startedBefore: 5_000, limit: 3) == PruneResult(rows: 0, isDone: true))
    }

    @Test func freedPagesGoBackToTheFileSystemOnANewDatabase() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let key = try store.createKey(name: "dev")
        #expect(try count(store, "PRAGMA auto_vacuum") == 2)
        let big = String(repeating: "x", count: 20_000)
        for batch in 0..<10 {
            let rows = (0..<20).map { row(batch * 20 + $0, start: 1_000, prompt: big) }
            _ = try store.insert(rows, apiKeyID: key.id, receivedAt: 1)
        }
        let before = try count(store, "PRAGMA page_count")
        var freed = 0
        var pass: PruneResult
        repeat {
            pass = try store.prune(startedBefore: 2_000, limit: 50)
            freed += pass.freedPages
        } while !pass.isDone
        #expect(freed > 0)
        #expect(try count(store, "PRAGMA page_count") < before - Int64(freed) / 2)
    }

    @Test func aNewDatabaseHasSixteenKiBPagesAndAnOldOneKeepsItsOwn() throws {
        let fresh = try StoreFixture().open()
        #expect(try count(fresh, "PRAGMA page_size") == Int64(SQLiteLogStore.pageSize))
        #expect(try count(fresh, "PRAGMA cache_size") == -Int64(SQLiteLogStore.pageCacheKiB))
        let fixture = StoreFixture()
        let old = try SQLiteConnection(path: fixture.path)
        try old.execute("PRAGMA page_size = 4096")
        try old.execute("CREATE TABLE t (x)")
        let reopened = try fixture.open()
        #expect(try count(reopened, "PRAGMA page_size") == 4096)
        #expect(try count(reopened, "PRAGMA cache_size") == -Int64(SQLiteLogStore.pageCacheKiB))
    }

    @Test func compactTurnsAnOldDatabaseToIncrementalVacuum() throws {
        let fixture = StoreFixture()
        // A database made before retention existed: no auto_vacuum.
        let old = try SQLiteConnection(path: fixture.path)
        try old.execute("CREATE TABLE t (x)")
        let store = try fixture.open()
        #expect(try count(store, "PRAGMA auto_vacuum") == 0)
        try store.compact()
        #expect(try count(store, "PRAGMA auto_vacuum") == 2)
    }
}
