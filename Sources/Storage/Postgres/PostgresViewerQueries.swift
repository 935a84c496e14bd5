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
        try writing { (db) throws(StorageError) in
            try db.execute("DELETE FROM viewer_sessions WHERE token_hash = $1", [tokenHash])
        }
    }

    public func searchLogs(_ query: LogQuery) throws(StoreError) -> [StoredLog] {
        let filter = LogFilter.matching(query, like: "ILIKE", placeholder: { "$\($0)" })
        return try selectLogs(filter, then: "ORDER BY l.start_time_unix_nano DESC, l.id DESC LIMIT \(max(1, query.limit))")
    }

    public func log(id: Int64, readable: ReadableKeys) throws(StoreError) -> StoredLog? {
        var filter = LogFilter(placeholder: { "$\($0)" })
        filter.restrict(to: readable)
        filter.add("l.id = §", .integer(id))
        return try selectLogs(filter, then: "").first
    }

    public func traceLogs(traceID: String, apiKeyID: Int64) throws(StoreError) -> [StoredLog] {
        var filter = LogFilter(placeholder: { "$\($0)" })
        filter.add("l.api_key_id = §", .integer(apiKeyID))
        filter.add("l.trace_id = §", .text(traceID))
        // Ordered here, not in SQL: an ORDER BY would lead the planner to the key's time index
        // instead of the (key, trace) one, walking every row of the key.
        return try selectLogs(filter, then: "LIMIT 1000").sorted {
            ($0.record.startTimeUnixNano, $0.id) < ($1.record.startTimeUnixNano, $1.id)
        }
    }
}
