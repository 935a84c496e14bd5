import CSQLite
import LLMLog
import Foundation

/// One SQLite connection. The only file that touches sqlite3 pointers; not thread-safe, so each
/// owner serialises its calls.
final class SQLiteConnection {
    private var handle: OpaquePointer?

    init(path: String) throws(StorageError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw .cannotOpen(path: path, reason: reason)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { close() }

    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    func execute(_ sql: String) throws(StorageError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    /// Runs `body` with `synchronous = NORMAL`, then `FULL` again: its commits write the WAL without
    /// syncing it, and the caller decides when they must be on disk. SQLite refuses to change the
    /// setting inside a transaction, so it is changed around one.
    func committingUnsynced<T>(_ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        try execute("PRAGMA synchronous = NORMAL")
        defer { try? execute("PRAGMA synchronous = FULL") }
        return try body()
    }

    func prepare(_ sql: String) throws(StorageError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc) }
        return SQLiteStatement(statement, connection: self)
    }

    /// Replaces SQLite's automatic checkpoint, which runs inside the commit that takes the WAL
    /// past 1 000 pages: after each commit `afterCommit` learns the WAL's size in pages, and when
    /// it answers true the checkpoint runs here anyway (passive: it never waits for readers).
    func onCommit(walPages afterCommit: @escaping (Int) -> Bool) {
        let hook = WALHook(afterCommit)
        walHook = hook
        sqlite3_wal_hook(handle, { context, db, name, pages in
            let hook = Unmanaged<WALHook>.fromOpaque(context!).takeUnretainedValue()
            if hook.afterCommit(Int(pages)) {
                sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(hook).toOpaque())
    }

    private final class WALHook {
        let afterCommit: (Int) -> Bool
        init(_ afterCommit: @escaping (Int) -> Bool) { self.afterCommit = afterCommit }
    }

    private var walHook: WALHook?

    var changes: Int { Int(sqlite3_changes(handle)) }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Maps a result code to our vocabulary. The message never includes bound values, so no key
    /// or prompt text can reach a log through it.
    func error(_ rc: Int32) -> StorageError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        switch rc & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return .busy
        case SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_NOMEM, SQLITE_PROTOCOL:
            return .unavailable(message)
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            // Retrying cannot help: an operator must restore or replace the file.
            return .corrupt(message)
        default:
            return .failed(message)
        }
    }
}

/// A prepared statement of a `SQLiteConnection`.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ statement: OpaquePointer, connection: SQLiteConnection) {
        self.statement = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(statement) }

    func bind(_ index: Int32, _ value: String?) {
        if var value {
            // The byte count, never -1: a NUL inside the text must not cut it short.
            value.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    // A nil pointer would bind NULL; an empty string is text of length 0.
                    guard let base = chars.baseAddress, !chars.isEmpty else {
                        _ = sqlite3_bind_text(statement, index, "", 0, ingate_sqlite_transient())
                        return
                    }
                    _ = sqlite3_bind_text(statement, index, base, Int32(chars.count), ingate_sqlite_transient())
                }
            }
        } else {
            sqlite3_bind_null(statement, index)
        }
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(statement, index, value)
    }

    func bind(_ index: Int32, _ value: ColumnValue) {
        switch value {
        case .null: sqlite3_bind_null(statement, index)
        case .text(let text): bind(index, text)
        case .integer(let number): bind(index, number)
        case .real(let number): bind(index, number)
        }
    }

    /// A column's value read as `kind` says; NULL as `.null`.
    func value(_ column: Int32, as kind: LLMLogColumn.Kind) -> ColumnValue {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL else { return .null }
        switch kind {
        case .text, .json: return string(column).map(ColumnValue.text) ?? .null
        case .integer: return .integer(sqlite3_column_int64(statement, column))
        case .real: return .real(double(column))
        }
    }

    /// Runs one step; true when a row is ready to read.
    func step() throws(StorageError) -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(rc)
        }
    }

    /// Runs a statement that returns no rows, and makes it ready for the next binding.
    func run() throws(StorageError) {
        defer { reset() }
        _ = try step()
    }

    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    func int64(_ column: Int32) -> Int64? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column)
    }

    func double(_ column: Int32) -> Double {
        sqlite3_column_double(statement, column)
    }

    func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(statement, column) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }
}
