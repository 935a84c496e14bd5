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
        let filter = LogFilter.matching(query, like: "LIKE", placeholder: { _ in "?" })
        return try selectLogs(filter, then: "ORDER BY l.start_time_unix_nano DESC, l.id DESC LIMIT \(max(1, query.limit))")
    }

    public func log(id: Int64, readable: ReadableKeys) throws(StoreError) -> StoredLog? {
        var filter = LogFilter(placeholder: { _ in "?" })
        filter.restrict(to: readable)
        filter.add("l.id = §", .integer(id))
        return try selectLogs(filter, then: "").first
    }

    public func traceLogs(traceID: String, apiKeyID: Int64) throws(StoreError) -> [StoredLog] {
        var filter = LogFilter(placeholder: { _ in "?" })
        filter.add("l.api_key_id = §", .integer(apiKeyID))
        filter.add("l.trace_id = §", .text(traceID))
        // Ordered here, not in SQL: an ORDER BY would lead the planner to the key's time index
        // instead of the (key, trace) one, walking every row of the key.
        return try selectLogs(filter, then: "LIMIT 1000").sorted {
            ($0.record.startTimeUnixNano, $0.id) < ($1.record.startTimeUnixNano, $1.id)
        }
    }
}
