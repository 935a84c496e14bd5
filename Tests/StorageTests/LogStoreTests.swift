import APIKeys
import GenAIMapping
import LLMLog
import Foundation
import Testing
@testable import Storage
import TestSupport

/// The engines a store test runs on: the same test, parametrised (`@Test(arguments: Backend.allCases)`).
enum Backend: String, CaseIterable, Sendable {
    case sqlite, postgres
}

/// Each test gets its own database: a file in a temporary folder, or a new database on the test
/// PostgreSQL server (`TestPostgres`).
final class StoreFixture {
    let backend: Backend
    let folder = temporaryFolder()
    var path: String { folder + "/ingate.db" }
    private(set) var postgresURL: String?
    deinit { removeTemporaryFolder(folder) }

    init(_ backend: Backend = .sqlite) {
        self.backend = backend
    }

    /// The SQLite store itself, for tests of what only SQLite has (its file, its lock).
    func open(busyTimeoutMilliseconds: Int32 = 5_000) throws -> SQLiteLogStore {
        try SQLiteLogStore(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, joiningContent: ContentJoin.rule)
    }

    /// The store of this fixture's backend; opened again, the same database.
    func store() throws -> any LogStore {
        switch backend {
        case .sqlite:
            return try open()
        case .postgres:
            if postgresURL == nil { postgresURL = try TestPostgres.freshDatabase() }
            return try PostgresLogStore(url: postgresURL!, joiningContent: ContentJoin.rule)
        }
    }
}

extension SQLiteLogStore {
    /// Makes any insert of a row named "boom" fail, to see what a failing row undoes.
    func refuseRowsNamedBoom() throws {
        try withConnection { db throws(StorageError) in
            try db.execute("""
                CREATE TRIGGER refuse_boom BEFORE INSERT ON llm_logs WHEN NEW.span_name = 'boom'
                BEGIN SELECT RAISE(ABORT, 'refused'); END
                """)
        }
    }
}

func record(_ spanID: String = "eee19b7ec3c1b101", spanName: String = "chat gpt-4o") -> LLMLogRecord {
    LLMLogRecord(
        traceID: "5b8efff798038103d269b633813fc60c", spanID: spanID, parentSpanID: "00f067aa0ba902b7",
        serviceName: "checkout", spanName: spanName, operation: "chat", provider: "openai", model: "gpt-4o",
        prompt: "question", completion: "answer", inputTokens: 12, outputTokens: nil, latencyMs: 250.5,
        startTimeUnixNano: 1_700_000_000_000_000_000, endTimeUnixNano: 1_700_000_000_250_500_000,
        statusCode: 2, statusMessage: "boom", attributesJSON: #"{"gen_ai.system":"openai"}"#)
}

@Suite struct LogStoreTests {
    @Test(arguments: Backend.allCases) func recordsAreStoredAndReadBackColumnForColumn(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let key = try store.createKey(name: "dev")
        #expect(try store.insert([record()], apiKeyID: key.id, receivedAt: 1234) == 1)
        let logs = try store.recentLogs(limit: 10)
        #expect(logs.count == 1)
        #expect(logs[0].record == record())
        #expect(logs[0].apiKeyID == key.id)
        #expect(logs[0].receivedAt == 1234)
    }

    @Test(arguments: Backend.allCases) func aRetriedExportStoresOncePerKey(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let first = try store.createKey(name: "a")
        let second = try store.createKey(name: "b")
        #expect(try store.insert([record("eee19b7ec3c1b101"), record("eee19b7ec3c1b102")], apiKeyID: first.id, receivedAt: 1) == 2)
        #expect(try store.insert([record("eee19b7ec3c1b101"), record("eee19b7ec3c1b103")], apiKeyID: first.id, receivedAt: 2) == 1)
        // The same span under another key is another tenant's row.
        #expect(try store.insert([record("eee19b7ec3c1b101")], apiKeyID: second.id, receivedAt: 3) == 1)
        #expect(try store.recentLogs(limit: 10).count == 4)
    }

    @Test func aFailingRowUndoesTheWholeRequest() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let key = try store.createKey(name: "dev")
        try store.refuseRowsNamedBoom()
        #expect(throws: StoreError.permanent("storage error: refused")) {
            try store.insert([record("eee19b7ec3c1b101"), record("eee19b7ec3c1b102", spanName: "boom")], apiKeyID: key.id, receivedAt: 1)
        }
        #expect(try store.recentLogs(limit: 10).isEmpty)
        // The connection is usable afterwards: no transaction was left open.
        #expect(try store.insert([record("eee19b7ec3c1b103")], apiKeyID: key.id, receivedAt: 2) == 1)
    }

    @Test func reopeningAnExistingFileKeepsItsRowsAndSchemaVersion() throws {
        let fixture = StoreFixture()
        do {
            let store = try fixture.open()
            let key = try store.createKey(name: "dev")
            try store.insert([record()], apiKeyID: key.id, receivedAt: 1)
            store.close()
        }
        let reopened = try fixture.open()
        #expect(try reopened.recentLogs(limit: 10).count == 1)
        let version = try reopened.withConnection { db throws(StorageError) -> Int64? in
            let statement = try db.prepare("PRAGMA user_version")
            _ = try statement.step()
            return statement.int64(0)
        }
        #expect(version == Int64(Schema.migrations.count))
    }

    @Test func aMigrationMayDropWhatAnEarlierOneMade() throws {
        let folder = temporaryFolder()
        defer { removeTemporaryFolder(folder) }
        let connection = try SQLiteConnection(path: "\(folder)/migrations.db")
        defer { connection.close() }
        try SQLiteLogStore.migrate(connection, migrations: [
            "CREATE TABLE t (a INTEGER); CREATE INDEX t_a ON t (a);",
            "DROP INDEX t_a;",
            "DROP TABLE t;",
        ])
        let version = try connection.prepare("PRAGMA user_version")
        _ = try version.step()
        #expect(version.int64(0) == 3)
        version.reset()
        let left = try connection.prepare("SELECT count(*) FROM sqlite_master")
        _ = try left.step()
        #expect(left.int64(0) == 0)
        left.reset()
    }

    @Test func migrationsRunOnAnExistingEmptyDatabaseFile() throws {
        let fixture = StoreFixture()
        FileManager.default.createFile(atPath: fixture.path, contents: Data())
        let store = try fixture.open()
        #expect(try store.listKeys().isEmpty)
        let journal = try store.withConnection { db throws(StorageError) -> String? in
            let statement = try db.prepare("PRAGMA journal_mode")
            _ = try statement.step()
            return statement.string(0)
        }
        #expect(journal == "wal")
    }

    @Test func aFileThatIsNotADatabaseFailsWithItsPath() throws {
        let fixture = StoreFixture()
        FileManager.default.createFile(atPath: fixture.path, contents: Data(repeating: 0x41, count: 4096))
        #expect {
            try fixture.open()
        } throws: { error in
            (error as? StoreError).map { !$0.isRetryable && $0.description.contains(fixture.path) } == true
        }
    }

    @Test func aMissingFolderFailsFastNamingThePath() {
        let path = "/nonexistent-\(UUID().uuidString)/ingate.db"
        #expect {
            try SQLiteLogStore(path: path, joiningContent: ContentJoin.rule)
        } throws: { error in
            guard let error = error as? StoreError, !error.isRetryable else { return false }
            return error.description == "cannot open database \(path): folder \((path as NSString).deletingLastPathComponent) does not exist"
        }
    }

    @Test func aWriterHoldingTheLockMakesInsertsBusyAndRetryable() throws {
        let fixture = StoreFixture()
        let store = try fixture.open(busyTimeoutMilliseconds: 100)
        let key = try store.createKey(name: "dev")
        let other = try fixture.open()
        try other.withConnection { db throws(StorageError) in try db.execute("BEGIN IMMEDIATE") }
        #expect(throws: StoreError.retryable("database is busy")) {
            try store.insert([record()], apiKeyID: key.id, receivedAt: 1)
        }
        try other.withConnection { db throws(StorageError) in try db.execute("ROLLBACK") }
        #expect(try store.insert([record()], apiKeyID: key.id, receivedAt: 1) == 1)
    }
}

@Suite struct APIKeyTests {
    @Test func keysAreStoredAsSHA256Only() throws {
        let fixture = StoreFixture()
        let store = try fixture.open()
        let created = try store.createKey(name: "dev")
        #expect(created.key.hasPrefix("sk-ingate-"))
        #expect(created.key.count == "sk-ingate-".count + 40)
        let stored = try store.withConnection { db throws(StorageError) -> String? in
            let statement = try db.prepare("SELECT key_hash FROM api_keys")
            _ = try statement.step()
            return statement.string(0)
        }
        #expect(stored == APIKeyFormat.sha256Hex(created.key))
        #expect(stored?.count == 64)
        let file = try Data(contentsOf: URL(fileURLWithPath: fixture.path)) + ((try? Data(contentsOf: URL(fileURLWithPath: fixture.path + "-wal"))) ?? Data())
        #expect(file.range(of: Data(created.key.utf8)) == nil)
    }

    @Test(arguments: Backend.allCases) func revokedKeysAreListedAndNoLongerActive(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let a = try store.createKey(name: "a")
        let b = try store.createKey(name: "b")
        try store.revokeKey(id: a.id)
        let keys = try store.listKeys()
        #expect(keys.map(\.name) == ["a", "b"])
        #expect(keys[0].revokedAt != nil)
        #expect(keys[1].revokedAt == nil)
        #expect(try store.activeKeys().map(\.id) == [b.id])
        #expect(try store.activeKeys()[0].hash == APIKeyFormat.sha256(b.key))
        #expect(throws: StoreError.permanent("no API key with id 99")) { try store.revokeKey(id: 99) }
    }

    @Test func generatedKeysDiffer() {
        #expect(Set((0..<50).map { _ in APIKeyFormat.generate() }).count == 50)
    }
}

@Suite struct ContentPolicyStorageTests {
    @Test(arguments: Backend.allCases) func aKeysPolicyIsStoredListedChangedAndCarriedByTheActiveKey(_ backend: Backend) throws {
        let fixture = StoreFixture(backend)
        let store = try fixture.store()
        let plain = try store.createKey(name: "plain")
        let private_ = try store.createKey(name: "private", contentPolicy: .none)
        #expect(try store.listKeys().map(\.contentPolicy) == [.full, .none])
        try store.setContentPolicy(id: plain.id, .redact)
        #expect(try store.listKeys().map(\.contentPolicy) == [.redact, .none])
        #expect(try store.activeKeys().first { $0.id == private_.id }?.contentPolicy == ContentPolicy.none)
        #expect(try store.activeKey(hash: APIKeyFormat.sha256(plain.key))?.contentPolicy == .redact)
        #expect(throws: StoreError.self) { try store.setContentPolicy(id: 999, .full) }
    }
}
