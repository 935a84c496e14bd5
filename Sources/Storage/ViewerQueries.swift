import LLMLog

extension SQLiteLogStore {
    public func createSession(tokenHash: String, keyID: Int64, expiresAt: Int64) throws(StoreError) {
        try withConnection { (db) throws(StorageError) in
            let insert = try db.prepare("INSERT INTO viewer_sessions (token_hash, api_key_id, expires_at) VALUES (?, ?, ?)")
            insert.bind(1, tokenHash)
            insert.bind(2, keyID)
            insert.bind(3, expiresAt)
            try insert.run()
            // Expired sessions go when new ones come; there are few.
            let expired = try db.prepare("DELETE FROM viewer_sessions WHERE expires_at < ?")
            expired.bind(1, expiresAt - ViewerSessionLifetime.milliseconds)
            try expired.run()
        }
    }

    public func session(tokenHash: String, now: Int64) throws(StoreError) -> ViewerSession? {
        try withConnection { (db) throws(StorageError) -> ViewerSession? in
            let query = try db.prepare("""
                SELECT s.api_key_id, s.expires_at, k.readable_keys FROM viewer_sessions s JOIN api_keys k ON k.id = s.api_key_id
                WHERE s.token_hash = ? AND s.expires_at > ? AND k.revoked_at IS NULL AND k.scope = 'read'
                """)
            query.bind(1, tokenHash)
            query.bind(2, now)
            guard try query.step(), let id = query.int64(0), let expires = query.int64(1) else { return nil }
            return ViewerSession(keyID: id, expiresAt: expires, readable: KeyColumns.readable(query.string(2)))
        }
    }

    public func deleteSession(tokenHash: String) throws(StoreError) {
        try withConnection { (db) throws(StorageError) in
            let delete = try db.prepare("DELETE FROM viewer_sessions WHERE token_hash = ?")
            delete.bind(1, tokenHash)
            try delete.run()
        }
    }

    public func searchLogs(_ query: LogQuery) throws(StoreError) -> [StoredLog] {
        try selectLogs(.matching(query, in: .sqlite), then: LogFilter.newestFirst(limit: query.limit))
    }

    public func searchBoundary(_ query: LogQuery, rows: Int) throws(StoreError) -> LogCursor? {
        let (filter, suffix) = LogFilter.boundary(of: query, rows: rows, in: .sqlite)
        return try withConnection { (db) throws(StorageError) -> LogCursor? in
            let boundary = try db.prepare("SELECT l.start_time_unix_nano, l.id FROM llm_logs l WHERE \(filter.whereSQL) \(suffix)")
            boundary.bind(filter.parameters)
            guard try boundary.step(), let start = boundary.int64(0), let id = boundary.int64(1) else { return nil }
            return LogCursor(startTimeUnixNano: UInt64(clamping: start), id: id)
        }
    }

    public func log(id: Int64, readable: ReadableKeys) throws(StoreError) -> StoredLog? {
        try selectLogs(.row(id, readable: readable, in: .sqlite), then: "").first
    }

    public func traceLogs(traceID: String, apiKeyID: Int64) throws(StoreError) -> [StoredLog] {
        LogFilter.inTraceOrder(try selectLogs(.trace(traceID, apiKeyID: apiKeyID, in: .sqlite), then: LogFilter.traceLimit))
    }
}
