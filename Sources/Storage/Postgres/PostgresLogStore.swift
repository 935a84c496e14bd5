import APIKeys
import Foundation
import LLMLog

/// `LogStore` in PostgreSQL (chosen by a `postgresql://` or `postgres://` database URL; libpq's
/// `PG*` variables and `sslmode` apply), for several receiver hosts on one database. The same
/// rows as SQLite's; concurrent requests share one transaction (`GroupCommit`), 200 only after
/// COMMIT. Two connections per process: one writes (group commit, retention, health), one reads
/// (keys, logs, stats).
public final class PostgresLogStore: LogStore, @unchecked Sendable {
    let writer: PostgresConnection
    let reader: PostgresConnection
    private let writeLock = NSLock()
    private let readLock = NSLock()
    let join: ContentJoinRule
    private var groupCommit: GroupCommit!
    /// The ids of the rows the running batch inserted (guarded by `writeLock`).
    private var newIDs: [String] = []
    /// ≈ 16 µs a row on this machine (`make bench-viewer`: 33 000 rows in 547 ms).
    public var textSearchRowsPerPage = 4_000

    public static func handles(_ database: String) -> Bool {
        database.hasPrefix("postgresql://") || database.hasPrefix("postgres://")
    }

    public init(url: String, joiningContent join: @escaping ContentJoinRule) throws(StoreError) {
        self.join = join
        do {
            writer = try PostgresConnection(url: url)
            reader = try PostgresConnection(url: url)
            try PostgresSchema.migrate(writer)
        } catch {
            throw error.storeError
        }
        groupCommit = GroupCommit { [unowned self] batch in GroupCommit.Committed(outcomes: self.commitBatch(batch)) }
    }

    public func close() {
        writeLock.withLock { writer.close() }
        readLock.withLock { reader.close() }
    }

    func writing<T>(_ body: (PostgresConnection) throws(StorageError) -> T) throws(StoreError) -> T {
        writeLock.lock()
        defer { writeLock.unlock() }
        do {
            return try body(writer)
        } catch {
            throw error.storeError
        }
    }

    func reading<T>(_ body: (PostgresConnection) throws(StorageError) -> T) throws(StoreError) -> T {
        readLock.lock()
        defer { readLock.unlock() }
        do {
            return try body(reader)
        } catch {
            throw error.storeError
        }
    }

    // MARK: Writes

    @discardableResult
    public func insert(_ records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64) throws(StoreError) -> Int {
        try groupCommit.insert(records, apiKeyID: apiKeyID, receivedAt: receivedAt)
    }

    @discardableResult
    public func insertEvents(_ events: [GenAIContentEvent], apiKeyID: Int64, receivedAt: Int64) throws(StoreError) -> Int {
        try groupCommit.insert(events, apiKeyID: apiKeyID, receivedAt: receivedAt)
    }

    /// One transaction for a batch of requests (`GroupCommit.inOneTransaction`).
    func commitBatch(_ batch: [StoreWrite]) -> [Result<Int, StorageError>] {
        writeLock.lock()
        defer { writeLock.unlock() }
        return GroupCommit.inOneTransaction(batch, begin: "BEGIN", execute: { (sql) throws(StorageError) in
            try writer.execute(sql)
        }, restart: {
            newIDs = []
        }, writeSpans: { (records, key, received) throws(StorageError) -> Int in
            try write(records, apiKeyID: key, receivedAt: received)
        }, writeEvents: { (events, key, received) throws(StorageError) -> Int in
            try write(events, apiKeyID: key, receivedAt: received)
        }, beforeCommit: { () throws(StorageError) in
            // Ids of a request rolled back to its savepoint match no row: sequences never reuse them.
            try countUsage(ofRows: newIDs, sign: 1)
        })
    }

    static let insertColumns = ["api_key_id", "received_at", "resource_id"] + LLMLogColumn.all.map(\.name)
    /// PostgreSQL takes at most 65 535 parameters per statement.
    static let rowsPerStatement = 1_000

    private func write(_ records: [LLMLogRecord], apiKeyID: Int64, receivedAt: Int64) throws(StorageError) -> Int {
        var resourceIDs: [String: String] = [:]
        var inserted = 0
        let contentMayWait = try anyEventsStored(apiKeyID: apiKeyID)
        for start in stride(from: 0, to: records.count, by: Self.rowsPerStatement) {
            let chunk = records[start..<min(start + Self.rowsPerStatement, records.count)]
            var parameters: [String?] = []
            var tuples: [String] = []
            for record in chunk {
                if resourceIDs[record.resourceJSON] == nil { resourceIDs[record.resourceJSON] = try storeResource(record.resourceJSON) }
                let first = parameters.count + 1
                tuples.append("(" + (first..<(first + Self.insertColumns.count)).map { "$\($0)" }.joined(separator: ",") + ")")
                parameters += [String(apiKeyID), String(receivedAt), resourceIDs[record.resourceJSON]]
                parameters += LLMLogColumn.all.map { PostgresValues.parameter($0.value(of: record), json: $0.kind == .json) }
            }
            let new = try writer.execute("""
                INSERT INTO llm_logs (\(Self.insertColumns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ","))
                ON CONFLICT (api_key_id, trace_id, span_id) DO NOTHING RETURNING trace_id, span_id, id
                """, parameters)
            inserted += new.rows.count
            newIDs += new.rows.compactMap { $0[2] }
            if contentMayWait {
                for row in new.rows {
                    try mergeWaiting(apiKeyID: apiKeyID, traceID: row[0] ?? "", spanID: row[1] ?? "")
                }
            }
        }
        return inserted
    }

    private func storeResource(_ json: String) throws(StorageError) -> String {
        let digest = APIKeyFormat.sha256Hex(json)
        let found = try writer.execute("""
            WITH new AS (INSERT INTO resources (sha256, json) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING RETURNING id)
            SELECT id FROM new UNION ALL SELECT id FROM resources WHERE sha256 = $1
            """, [digest, PostgresValues.json(json)])
        if let id = found.first?[0] { return id }
        // Inserted meanwhile by another transaction, which the statement's snapshot predates.
        guard let id = try writer.execute("SELECT id FROM resources WHERE sha256 = $1", [digest]).first?[0] else {
            throw .failed("resource row missing after insert")
        }
        return id
    }

    public func checkWrites() throws(StoreError) {
        let now = String(Int64(Date().timeIntervalSince1970 * 1000))
        _ = try writing { (db) throws(StorageError) in
            try db.execute("INSERT INTO health (id, checked_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET checked_at = EXCLUDED.checked_at", [now])
        }
    }

    // MARK: Reads

    public func recentLogs(limit: Int) throws(StoreError) -> [StoredLog] {
        try selectLogs(LogFilter(.postgres), then: "ORDER BY l.id DESC LIMIT \(limit)")
    }

    /// The rows `filter` matches, with `suffix` (order and limit) after its WHERE clause.
    func selectLogs(_ filter: LogFilter, then suffix: String) throws(StoreError) -> [StoredLog] {
        let columns = LLMLogColumn.all.map { $0.kind == .json ? "l.\($0.name)::text" : "l.\($0.name)" }.joined(separator: ", ")
        return try reading { (db) throws(StorageError) -> [StoredLog] in
            let result = try db.execute("""
                SELECT l.id, l.api_key_id, l.received_at, COALESCE(r.json, l.resource)::text, \(columns)
                FROM llm_logs l LEFT JOIN resources r ON r.id = l.resource_id WHERE \(filter.whereSQL) \(suffix)
                """, filter.postgresParameters)
            // The rows of one resource share it: written out once, not once per row.
            var resources: [String: String] = [:]
            return result.rows.map { row in
                let resource = row[3] ?? "{}"
                if resources[resource] == nil { resources[resource] = PostgresValues.normalizedJSON(resource) }
                var record = LLMLogRecord(traceID: "", spanID: "", spanName: "", latencyMs: 0, startTimeUnixNano: 0, endTimeUnixNano: 0,
                                          resourceJSON: resources[resource]!)
                for (offset, column) in LLMLogColumn.all.enumerated() {
                    column.fill(&record, with: PostgresValues.value(row[offset + 4], kind: column.kind))
                }
                return StoredLog(id: Int64(row[0] ?? "") ?? 0, apiKeyID: Int64(row[1] ?? "") ?? 0,
                                 receivedAt: Int64(row[2] ?? "") ?? 0, record: record)
            }
        }
    }
}
