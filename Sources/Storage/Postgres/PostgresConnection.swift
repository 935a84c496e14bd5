import CPostgres
import Foundation

/// One libpq connection; this file owns every `PGconn` and `PGresult`. Parameters go as text,
/// values come back as text (nil for NULL). A connection that broke is opened again on the next
/// call, so a restarted or failed-over server is used again without a restart of ours.
final class PostgresConnection {
    private var handle: OpaquePointer?
    private let url: String

    init(url: String) throws(StorageError) {
        self.url = url
        try reconnect()
    }

    deinit { close() }

    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    private func reconnect() throws(StorageError) {
        close()
        guard let connection = PQconnectdb(url) else { throw .unavailable("PostgreSQL: out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(connection)
            throw .unavailable("cannot connect to PostgreSQL: \(message)")
        }
        handle = connection
        // Only warnings and errors: `CREATE … IF NOT EXISTS` would print a notice on every start.
        PQclear(PQexec(connection, "SET client_min_messages = warning"))
    }

    /// Runs one statement with `$1…` parameters; returns its rows and the count of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) throws(StorageError) -> PostgresRows {
        if handle == nil || PQstatus(handle) != CONNECTION_OK { try reconnect() }
        let result = Self.withCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            return PostgresRows(result)
        default:
            throw error(of: result)
        }
    }

    /// Runs several statements without parameters (a migration).
    func executeScript(_ sql: String) throws(StorageError) {
        if handle == nil || PQstatus(handle) != CONNECTION_OK { try reconnect() }
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK: return
        default: throw error(of: result)
        }
    }

    /// Retryable where the server is down, restarting, read-only, out of resources or in
    /// conflict (the client tries again: 503); permanent otherwise (a bug or a bad value: 500).
    private func error(of result: OpaquePointer?) -> StorageError {
        let message = (result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) } ?? String(cString: PQerrorMessage(handle)))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let state = result.flatMap { PQresultErrorField($0, ingate_pg_diag_sqlstate()) }.map { String(cString: $0) } ?? ""
        if PQstatus(handle) != CONNECTION_OK {
            close()
            return .unavailable("PostgreSQL connection lost: \(message)")
        }
        let retryable = state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") || state.hasPrefix("40")
            || ["25006", "55P03", "57014", "58030"].contains(state)
        return retryable ? .unavailable("PostgreSQL \(state): \(message)") : .failed("PostgreSQL \(state): \(message)")
    }

    private static func withCStrings<T>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        let pointers: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } ?? nil }
        defer { pointers.forEach { free($0) } }
        return body(pointers.map { $0.map { UnsafePointer($0) } })
    }
}

/// The rows of one result, copied out of libpq.
struct PostgresRows {
    var rows: [[String?]]
    var changed: Int

    init(_ result: OpaquePointer?) {
        let count = Int(PQntuples(result))
        let fields = Int(PQnfields(result))
        var rows: [[String?]] = []
        rows.reserveCapacity(count)
        for row in 0..<count {
            rows.append((0..<fields).map { field in
                PQgetisnull(result, Int32(row), Int32(field)) == 1 ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(field)))
            })
        }
        self.rows = rows
        changed = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    var first: [String?]? { rows.first }
}
