import LLMLog

/// `usage_days` in PostgreSQL (`UsageDays`), where several receivers write at once.
extension PostgresLogStore {
    /// Whether a row counts depends on its trace's other rows, which another receiver may be
    /// inserting or deleting in a transaction this one cannot see. So each transaction locks the
    /// traces it changes (sorted, so that two never wait on each other) before it looks, and holds
    /// them to its end: the later of two sees what the earlier committed.
    func countUsage(ofRows ids: [String], sign: Int) throws(StorageError) {
        guard !ids.isEmpty else { return }
        let array = "{" + ids.joined(separator: ",") + "}"
        _ = try writer.execute("""
            SELECT pg_advisory_xact_lock(\(Self.traceLockClass), k) FROM (
                SELECT DISTINCT hashtext(api_key_id::text || '/' || trace_id) AS k FROM llm_logs WHERE id = ANY($1::bigint[])
                ORDER BY k OFFSET 0) t
            """, [array])
        // A new statement: its snapshot is taken after the locks were granted.
        _ = try writer.execute(UsageDays.change(inSet: { "\($0).id = ANY($1::bigint[])" }, sign: sign), [array])
    }

    /// The first key of the advisory locks on traces (migrations lock a single bigint key).
    static let traceLockClass: Int32 = 7_413_003

    public func dailyUsage(sinceUnixNano: UInt64, readable: ReadableKeys) throws(StoreError) -> [UsageStat] {
        var keys = LogFilter(.postgres)
        keys.restrict(to: readable)
        let sql = UsageDays.perDayAndModel(
            restriction: keys.whereSQL, dayText: "to_char(to_timestamp(day * 86400) AT TIME ZONE 'UTC', 'YYYY-MM-DD')", since: "$1")
        return try reading { (db) throws(StorageError) -> [UsageStat] in
            try db.execute(sql, [String(Int64(clamping: sinceUnixNano / 86_400_000_000_000))]).rows.map { row in
                UsageStat(provider: row[0], model: row[1], calls: Int64(row[2] ?? "0") ?? 0,
                          inputTokens: Int64(row[3] ?? "0") ?? 0, outputTokens: Int64(row[4] ?? "0") ?? 0,
                          cacheReadTokens: Int64(row[5] ?? "0") ?? 0, reasoningTokens: Int64(row[6] ?? "0") ?? 0,
                          cacheWriteTokens: Int64(row[7] ?? "0") ?? 0, group: row[8], costUSD: row[9].flatMap { Double($0) })
            }
        }
    }
}
