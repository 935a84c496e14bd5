import APIKeys
import LLMLog
import Foundation

/// The LLM log and API keys in one SQLite database file, the embedded `LogStore`: opened (and migrated) once, shared by every
/// request thread of a process. Calls are serialised on one connection; other processes writing
/// the same file wait up to the busy timeout.
public final class SQLiteLogStore: LogStore, @unchecked Sendable {
    public let path: String
    /// Bytes the WAL file is truncated to after a checkpoint.
    static let walSizeLimit = 64 << 20
    /// The page size of a new database file.
    static let pageSize = 16_384
    /// The connection's page cache.
    static let pageCacheKiB = 4_096
    private let lock = NSLock()
    private let connection: SQLiteConnection
    private let insertLog: SQLiteStatement
    private let insertResource: SQLiteStatement
    private let selectResource: SQLiteStatement
    private let countNewUsage: SQLiteStatement
    private let events: ContentEvents
    private var groupCommit: GroupCommit!
    private let checkpointer: WALCheckpointer
    private let flusher: WALFlusher
    /// Transactions committed by `insert` that stored at least one request, since the store was
    /// opened (guarded by `lock`).
    private var transactions = 0
    /// The id of the first row the running batch inserted: rows from it on are new (ids grow by
    /// one from the largest, and this connection is the only writer inside the transaction).
    private var firstNewID: Int64?
    /// ≈ 2.6 µs a row on this machine (`make bench-viewer`: 33 000 rows in 87 ms).
    public var textSearchRowsPerPage = 20_000

    public var committedTransactions: Int {
        lock.lock()
        defer { lock.unlock() }
        return transactions
    }

    /// Opens or creates the database at `path`, failing fast with a message naming the path.
    /// `joinContent` is the mapping's rule for joining content events onto rows.
    public convenience init(path: String, busyTimeoutMilliseconds: Int32 = 5_000,
                            joiningContent joinContent: @escaping ContentJoinRule) throws(StoreError) {
        do {
            try self.init(opening: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, joinContent: joinContent)
        } catch {
            throw error.storeError
        }
    }

    init(opening path: String, busyTimeoutMilliseconds: Int32, joinContent: @escaping ContentJoinRule) throws(StorageError) {
        self.path = path
        try Self.checkFolder(of: path)
        let isNew = !FileManager.default.fileExists(atPath: path)
        connection = try SQLiteConnection(path: path)
        if isNew {
            // Prompts and key hashes: owner only. SQLite gives the -wal and -shm files the same mode.
            chmod(path, 0o600)
        }
        connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        do {
            if isNew {
                // A row (prompt, completion, attributes: ≈ 2 KB at W1) took a 4 KiB page of its
                // own; 16 KiB pages pack them, so fewer pages reach the WAL (`bench store`, 400 rows
                // a transaction: 13 000 → 17 000 rows/s, a third smaller file). Only a new file
                // takes it, and before auto_vacuum, which fixes the size of an empty file; older
                // files keep theirs until a VACUUM.
                try connection.execute("PRAGMA page_size = \(Self.pageSize)")
                // Before the first table: pages that retention frees can then be given back to the
                // file system bit by bit (`PRAGMA incremental_vacuum`) instead of by a full VACUUM.
                try connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
            }
            try connection.execute("PRAGMA journal_mode = WAL")
            // FULL: a commit is on disk (WAL fsynced) before we answer 200.
            try connection.execute("PRAGMA synchronous = FULL")
            // After a checkpoint the WAL is truncated to this, so one big transaction does not
            // leave a file of its size behind.
            try connection.execute("PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            // The default 2 MiB is less than one batch writes: SQLite read back from the WAL the
            // index pages it had just written (`bench store`, 400 rows a transaction, 16 KiB
            // pages: 16 500 → 21 000 rows/s; 8 MiB gave 22 000 for 4.5 MiB more RSS).
            try connection.execute("PRAGMA cache_size = -\(Self.pageCacheKiB)")
            try Self.migrate(connection)
            insertLog = try connection.prepare(Self.insertSQL)
            insertResource = try connection.prepare("INSERT OR IGNORE INTO resources (sha256, json) VALUES (?, ?)")
            selectResource = try connection.prepare("SELECT id FROM resources WHERE sha256 = ?")
            countNewUsage = try connection.prepare(UsageDays.change(inSet: { "\($0).id >= ?1" }, sign: 1))
            events = try ContentEvents(connection, join: joinContent)
            checkpointer = try WALCheckpointer(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            flusher = WALFlusher(databasePath: path)
        } catch {
            throw Self.openingError(error, path: path)
        }
        groupCommit = GroupCommit { [unowned self] batch in self.commitBatch(batch) }
        connection.onCommit { [checkpointer] pages in checkpointer.afterCommit(walPages: pages) }
    }

    deinit { checkpointer.stop() }

    /// Closes the connection; later calls fail. Called on shutdown after the last request.
    public func close() {
        checkpointer.stop()
        lock.withLock { connection.close() }
    }

    /// Called once when a sync of the WAL fails: from then on the store acknowledges nothing
    /// (`WALFlusher`), and `serve` ends the process so that its manager starts a new one. Set it
    /// before the first write.
    public var onSyncFailure: (@Sendable (String) -> Void)? {
        get { flusher.onFailure }
        set { flusher.onFailure = newValue }
    }

    /// Syncs of the WAL after group commits (`WALFlusher`).
    var walSyncs: Int { flusher.syncs }

    /// Checkpoints the WAL has had from this store's own thread (`WALCheckpointer`).
    var backgroundCheckpoints: Int { checkpointer.completed }

    /// Stores the records of one request, all or none, durably before it returns. Returns how many
    /// were new: a span already stored for this key (a retried export) is skipped by the unique
    /// index. Concurrent calls share one transaction (`GroupCommit`).
    @discardableResult
    public func insert(_ records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64) throws(StoreError) -> Int {
        try groupCommit.insert(records, apiKeyID: apiKeyID, receivedAt: receivedAt)
    }

    /// Stores content events of one logs request, all or none, and merges them into the rows of
    /// their spans that exist already; the others wait for their span. Returns how many were new
    /// (a retried export adds none).
    @discardableResult
    public func insertEvents(_ events: [GenAIContentEvent], apiKeyID: Int64, receivedAt: Int64) throws(StoreError) -> Int {
        try groupCommit.insert(events, apiKeyID: apiKeyID, receivedAt: receivedAt)
    }

    /// One transaction for a batch of requests (`GroupCommit.inOneTransaction`), committed without
    /// syncing the WAL (every other write here, keys, sessions, health, stays synced by its own
    /// `COMMIT`): `WALFlusher` syncs it once the next batch may start, before any answer.
    func commitBatch(_ batch: [StoreWrite]) -> GroupCommit.Committed {
        lock.lock()
        defer { lock.unlock() }
        let outcomes: [Result<Int, StorageError>]
        do {
            outcomes = try connection.committingUnsynced { () throws(StorageError) in
                GroupCommit.inOneTransaction(batch, begin: "BEGIN IMMEDIATE", execute: { (sql) throws(StorageError) in
                    try connection.execute(sql)
                }, restart: {
                    firstNewID = nil
                }, writeSpans: { (records, key, received) throws(StorageError) -> Int in
                    try write(records, apiKeyID: key, receivedAt: received)
                }, writeEvents: { (events, key, received) throws(StorageError) -> Int in
                    try write(events, apiKeyID: key, receivedAt: received)
                }, beforeCommit: { () throws(StorageError) in
                    guard let firstNewID else { return }
                    countNewUsage.bind(1, firstNewID)
                    try countNewUsage.run()
                })
            }
        } catch {
            return GroupCommit.Committed(outcomes: Array(repeating: .failure(error), count: batch.count))
        }
        guard outcomes.contains(where: { if case .success = $0 { true } else { false } }) else {
            return GroupCommit.Committed(outcomes: outcomes)
        }
        transactions += 1
        let ticket = flusher.noteCommit()
        return GroupCommit.Committed(outcomes: outcomes) { [flusher] () throws(StorageError) in
            try flusher.flush(through: ticket)
        }
    }

    private func write(_ records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64) throws(StorageError) -> Int {
        var inserted = 0
        let contentMayWait = try events.anyStored(apiKeyID: apiKeyID)
        // The spans of one resource share its row; usually one resource per request.
        var resourceIDs: [String: Int64] = [:]
        for record in records {
            let resourceID: Int64
            if let known = resourceIDs[record.resourceJSON] {
                resourceID = known
            } else {
                resourceID = try storeResource(record.resourceJSON)
                resourceIDs[record.resourceJSON] = resourceID
            }
            try bind(record, apiKeyID: apiKeyID, receivedAt: receivedAt, resourceID: resourceID)
            try insertLog.run()
            guard connection.changes > 0 else { continue }
            inserted += 1
            if firstNewID == nil { firstNewID = connection.lastInsertRowID }
            // Content that arrived as logs before its span is merged now.
            if contentMayWait {
                try events.mergeIfWaiting(apiKeyID: apiKeyID, traceID: record.traceID, spanID: record.spanID)
            }
        }
        return inserted
    }

    private func write(_ contentEvents: [GenAIContentEvent], apiKeyID: Int64, receivedAt: Int64) throws(StorageError) -> Int {
        try events.insert(contentEvents, apiKeyID: apiKeyID, receivedAt: receivedAt)
    }

    /// The id of the stored resource with this JSON, inserted if new (content-addressed by SHA-256).
    private func storeResource(_ json: String) throws(StorageError) -> Int64 {
        let digest = APIKeyFormat.sha256Hex(json)
        insertResource.bind(1, digest)
        insertResource.bind(2, json)
        try insertResource.run()
        selectResource.bind(1, digest)
        defer { selectResource.reset() }
        guard try selectResource.step(), let id = selectResource.int64(0) else {
            throw .failed("resource row missing after insert")
        }
        return id
    }

    /// The columns a store adds to a record's (`LLMLogColumn.all`), bound first.
    private static let insertSQL: String = {
        let names = ["api_key_id", "received_at", "resource_id"] + LLMLogColumn.all.map(\.name)
        let values = Array(repeating: "?", count: names.count).joined(separator: ", ")
        return "INSERT OR IGNORE INTO llm_logs (\(names.joined(separator: ", "))) VALUES (\(values))"
    }()

    private func bind(_ record: LLMLogRecord, apiKeyID: Int64, receivedAt: Int64, resourceID: Int64) throws(StorageError) {
        insertLog.bind(1, apiKeyID)
        insertLog.bind(2, receivedAt)
        insertLog.bind(3, resourceID)
        for (offset, column) in LLMLogColumn.all.enumerated() {
            insertLog.bind(Int32(offset + 4), column.value(of: record))
        }
    }

    /// The store's own columns, the resource (shared since migration 4, inline before), then the record's.
    private static let selectSQL: String = {
        let columns = LLMLogColumn.all.map { "l.\($0.name)" }.joined(separator: ", ")
        return "SELECT l.id, l.api_key_id, l.received_at, COALESCE(r.json, l.resource), \(columns) "
            + "FROM llm_logs l LEFT JOIN resources r ON r.id = l.resource_id"
    }()

    /// The newest stored logs, newest first.
    public func recentLogs(limit: Int) throws(StoreError) -> [StoredLog] {
        try selectLogs(LogFilter(.sqlite), then: "ORDER BY l.id DESC LIMIT \(limit)")
    }

    /// The rows `filter` matches, with `suffix` (order and limit) after its WHERE clause.
    func selectLogs(_ filter: LogFilter, then suffix: String) throws(StoreError) -> [StoredLog] {
        try withConnection { (connection) throws(StorageError) -> [StoredLog] in
            let query = try connection.prepare("\(Self.selectSQL) WHERE \(filter.whereSQL) \(suffix)")
            query.bind(filter.parameters)
            var logs: [StoredLog] = []
            while try query.step() {
                var record = LLMLogRecord(traceID: "", spanID: "", spanName: "", latencyMs: 0, startTimeUnixNano: 0, endTimeUnixNano: 0,
                                          resourceJSON: query.string(3) ?? "{}")
                for (offset, column) in LLMLogColumn.all.enumerated() {
                    column.fill(&record, with: query.value(Int32(offset + 4), as: column.kind))
                }
                logs.append(StoredLog(id: query.int64(0) ?? 0, apiKeyID: query.int64(1) ?? 0, receivedAt: query.int64(2) ?? 0,
                                      record: record))
            }
            return logs
        }
    }

    /// One durable write outside the group commit (a health check must not wait behind a batch
    /// it is not part of, nor slow one down), within the busy timeout.
    public func checkWrites() throws(StoreError) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try withConnection { (db) throws(StorageError) in
            try flusher.throwIfFailed()
            try db.execute("INSERT OR REPLACE INTO health (id, checked_at) VALUES (1, \(now))")
        }
    }

    /// Drops content events received before `cutoff` (unix ms): what still waits for its span
    /// after the retention period. Deletes in small transactions so that ingestion, which shares
    /// the connection, waits at most one of them. Returns how many were deleted.
    @discardableResult
    public func deleteExpiredEvents(before cutoff: Int64, batch: Int = 500) throws(StoreError) -> Int {
        var total = 0
        while true {
            let deleted = try withConnection { (db) throws(StorageError) -> Int in
                try db.execute("BEGIN IMMEDIATE")
                do throws(StorageError) {
                    let count = try self.events.deleteExpired(before: cutoff, limit: batch)
                    try db.execute("COMMIT")
                    return count
                } catch {
                    try? db.execute("ROLLBACK")
                    throw error
                }
            }
            total += deleted
            if deleted < batch { return total }
        }
    }

    /// Runs `body` on the shared connection, holding the lock; its SQLite error becomes the
    /// store's (retryable or permanent).
    func withConnection<T>(_ body: (SQLiteConnection) throws(StorageError) -> T) throws(StoreError) -> T {
        do {
            return try locked { () throws(StorageError) -> T in try body(connection) }
        } catch {
            throw error.storeError
        }
    }

    /// `NSLock.withLock` with the typed error preserved.
    private func locked<T>(_ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs the `migrations` the file has not run yet, each in its own transaction.
    static func migrate(_ connection: SQLiteConnection, migrations: [String] = Schema.migrations) throws(StorageError) {
        let version = try connection.prepare("PRAGMA user_version")
        for (offset, sql) in migrations.enumerated() {
            let number = offset + 1
            version.reset()
            guard try version.step(), (version.int64(0) ?? 0) < number else { continue }
            // Re-check inside the write lock: another process may be migrating the same file.
            try connection.execute("BEGIN IMMEDIATE")
            do {
                version.reset()
                _ = try version.step()
                let ran = version.int64(0) ?? 0
                // A statement still stepping holds its tables: SQLite refuses to drop an index or
                // a table under it ("database table is locked").
                version.reset()
                if ran < number {
                    try connection.execute(sql)
                    try connection.execute("PRAGMA user_version = \(number)")
                }
                try connection.execute("COMMIT")
            } catch {
                version.reset()
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
        version.reset()
    }

    private static func checkFolder(of path: String) throws(StorageError) {
        let folder = (path as NSString).deletingLastPathComponent
        let directory = folder.isEmpty ? "." : folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw .cannotOpen(path: path, reason: "folder \(directory) does not exist")
        }
        guard isDirectory.boolValue else {
            throw .cannotOpen(path: path, reason: "\(directory) is not a folder")
        }
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !FileManager.default.isWritableFile(atPath: directory) {
            throw .cannotOpen(path: path, reason: "folder \(directory) is not writable")
        }
    }

    private static func openingError(_ error: StorageError, path: String) -> StorageError {
        if case .cannotOpen = error { return error }
        return .cannotOpen(path: path, reason: error.description)
    }
}
