import LLMLog

extension PostgresLogStore {
    public func createSession(tokenHash: String, keyID: Int64, expiresAt: Int64) throws(StoreError) {
        try writing { (db) throws(StorageError) in
            try db.execute("INSERT INTO viewer_sessions (token_hash, api_key_id, expires_at) VALUES ($1, $2, $3)",
                           [tokenHash, String(keyID), String(expiresAt)])
            // Expired sessions go when new ones come; there are few.
            try db.execute("DELETE FROM viewer_sessions WHERE expires_at < $1", [String(expiresAt - ViewerSessionLifetime.milliseconds)])
        }
    }

    public func session(tokenHash: String, now: Int64) throws(StoreError) -> ViewerSession? {
        try reading { (db) throws(StorageError) -> ViewerSession? in
            guard let row = try db.execute("""
                SELECT s.api_key_id, s.expires_at, k.readable_keys FROM viewer_sessions s JOIN api_keys k ON k.id = s.api_key_id
                WHERE s.token_hash = $1 AND s.expires_at > $2 AND k.revoked_at IS NULL AND k.scope = 'read'
                """, [tokenHash, String(now)]).first,
                let id = row[0].flatMap({ Int64($0) }), let expires = row[1].flatMap({ Int64($0) }) else { return nil }
            return ViewerSession(keyID: id, expiresAt: expires, readable: KeyColumns.readable(row[2]))
        }
    }

    public func deleteSession(tokenHash: String) throws(StoreError) {
        _ = try writing { (db) throws(StorageError) in
            try db.execute("DELETE FROM viewer_sessions WHERE token_hash = $1", [tokenHash])
        }
    }

    public func searchLogs(_ query: LogQuery) throws(StoreError) -> [StoredLog] {
        try selectLogs(.matching(query, in: .postgres), then: LogFilter.newestFirst(limit: query.limit))
    }

    public func searchBoundary(_ query: LogQuery, rows: Int) throws(StoreError) -> LogCursor? {
        let (filter, suffix) = LogFilter.boundary(of: query, rows: rows, in: .postgres)
        return try reading { (db) throws(StorageError) -> LogCursor? in
            let found = try db.execute("SELECT l.start_time_unix_nano, l.id FROM llm_logs l WHERE \(filter.whereSQL) \(suffix)",
                                       filter.postgresParameters)
            guard let row = found.first, let start = row[0].flatMap({ Int64($0) }), let id = row[1].flatMap({ Int64($0) }) else { return nil }
            return LogCursor(startTimeUnixNano: UInt64(clamping: start), id: id)
        }
    }

    public func log(id: Int64, readable: ReadableKeys) throws(StoreError) -> StoredLog? {
        try selectLogs(.row(id, readable: readable, in: .postgres), then: "").first
    }

    public func traceLogs(traceID: String, apiKeyID: Int64) throws(StoreError) -> [StoredLog] {
        LogFilter.inTraceOrder(try selectLogs(.trace(traceID, apiKeyID: apiKeyID, in: .postgres), then: LogFilter.traceLimit))
    }
}
