import LLMLog

/// Usage, unmapped spans and retention in PostgreSQL: the queries of SQLite's (`UsageStats`,
/// `UnmappedSpans`, `Retention`) in its dialect.
extension PostgresLogStore {
    public func usageStats(sinceUnixNano: UInt64, untilUnixNano: UInt64?, readable: ReadableKeys, operations: Set<String>,
                           by grouping: UsageGrouping) throws(StoreError) -> [UsageStat] {
        var window = LogFilter(.postgres)
        window.restrict(to: readable)
        if let untilUnixNano { window.add("l.start_time_unix_nano < \(Int64(clamping: untilUnixNano))") }
        let (provider, model, group) = switch grouping {
        case .providerModel: ("provider", "model", "NULL::text")
        case .provider: ("provider", "NULL::text", "NULL::text")
        case .model: ("NULL::text", "model", "NULL::text")
        case .service: ("NULL::text", "NULL::text", "service_name")
        case .key: ("NULL::text", "NULL::text", "api_key_id::text")
        case .day: ("NULL::text", "NULL::text", "to_char(to_timestamp(start_time_unix_nano / 1000000000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
        case .dayModel: ("provider", "model", "to_char(to_timestamp(start_time_unix_nano / 1000000000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
        }
        return try reading { (db) throws(StorageError) -> [UsageStat] in
            let result = try db.execute("""
                SELECT \(provider), \(model), count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
                       coalesce(sum(cache_read_tokens), 0), coalesce(sum(reasoning_tokens), 0), coalesce(sum(cache_write_tokens), 0),
                       \(group) AS grp, sum(cost_usd)
                FROM llm_logs l
                WHERE start_time_unix_nano >= $1 AND operation = ANY($2::text[]) AND \(window.whereSQL)
                  AND NOT EXISTS (
                      SELECT 1 FROM llm_logs c
                      WHERE c.api_key_id = l.api_key_id AND c.trace_id = l.trace_id AND c.parent_span_id = l.span_id
                        AND c.operation = ANY($2::text[])
                        AND (c.input_tokens IS NOT NULL OR c.output_tokens IS NOT NULL))
                GROUP BY 1, 2, grp ORDER BY \(grouping.isByDay ? "grp, count(*) DESC, 1, 2" : "count(*) DESC, 1, 2, grp")
                """, [String(Int64(clamping: sinceUnixNano)), "{" + operations.sorted().joined(separator: ",") + "}"])
            return result.rows.map { row in
                UsageStat(provider: row[0], model: row[1], calls: Int64(row[2] ?? "0") ?? 0,
                          inputTokens: Int64(row[3] ?? "0") ?? 0, outputTokens: Int64(row[4] ?? "0") ?? 0,
                          cacheReadTokens: Int64(row[5] ?? "0") ?? 0, reasoningTokens: Int64(row[6] ?? "0") ?? 0,
                          cacheWriteTokens: Int64(row[7] ?? "0") ?? 0, group: row[8], costUSD: row[9].flatMap { Double($0) })
            }
        }
    }

    public func unmappedSpans(sinceUnixNano: UInt64) throws(StoreError) -> [UnmappedSpans] {
        let nothing = """
            start_time_unix_nano >= $1 AND model IS NULL AND input_tokens IS NULL AND output_tokens IS NULL
            AND prompt IS NULL AND completion IS NULL
            """
        return try reading { (db) throws(StorageError) -> [UnmappedSpans] in
            let since = String(Int64(clamping: sinceUnixNano))
            var found = try db.execute("""
                SELECT scope_name, span_name, count(*) FROM llm_logs WHERE \(nothing)
                GROUP BY scope_name, span_name ORDER BY count(*) DESC, scope_name, span_name LIMIT 200
                """, [since]).rows.map { row in
                UnmappedSpans(scopeName: row[0], spanName: row[1] ?? "", count: Int64(row[2] ?? "0") ?? 0, attributeKeys: [])
            }
            for index in found.indices {
                let keys = try db.execute("""
                    SELECT DISTINCT k FROM (SELECT attributes FROM llm_logs WHERE \(nothing)
                        AND scope_name IS NOT DISTINCT FROM $2 AND span_name = $3 LIMIT 20) s, jsonb_object_keys(s.attributes) k ORDER BY k
                    """, [since, found[index].scopeName, found[index].spanName])
                found[index].attributeKeys = keys.rows.compactMap { $0[0] }
            }
            return found
        }
    }

    public func prune(startedBefore cutoffUnixNano: UInt64, limit: Int = 500) throws(StoreError) -> PruneResult {
        try writing { (db) throws(StorageError) -> PruneResult in
            try db.execute("BEGIN")
            var result: PruneResult
            do throws(StorageError) {
                let ids = try db.execute("""
                    SELECT id FROM llm_logs WHERE start_time_unix_nano < $1 ORDER BY start_time_unix_nano LIMIT $2
                    """, [String(Int64(clamping: cutoffUnixNano)), String(limit)]).rows.compactMap { $0[0] }
                // Usage is taken out while the rows are still there.
                try countUsage(ofRows: ids, sign: -1)
                let deleted = try db.execute("DELETE FROM llm_logs WHERE id = ANY($1::bigint[])",
                                             ["{" + ids.joined(separator: ",") + "}"]).changed
                // Space is reused by autovacuum; no pages are given back here.
                result = PruneResult(rows: deleted, isDone: deleted < limit)
                try db.execute("COMMIT")
            } catch {
                _ = try? db.execute("ROLLBACK")
                throw error
            }
            // In a transaction of its own: one that holds trace locks must not wait for a resource
            // that a request waiting for those locks has just used.
            if result.isDone {
                result.resources = try db.execute("""
                    DELETE FROM resources r WHERE NOT EXISTS (SELECT 1 FROM llm_logs l WHERE l.resource_id = r.id)
                    """).changed
            }
            return result
        }
    }

    public func compact() throws(StoreError) {
        try writing { (db) throws(StorageError) in
            try db.execute("VACUUM (ANALYZE) llm_logs")
            try db.execute("VACUUM resources")
            try db.execute("VACUUM genai_events")
        }
    }
}
