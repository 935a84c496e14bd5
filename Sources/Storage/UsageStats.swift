import LLMLog

extension SQLiteLogStore {
    /// Rows of the `operations` that count (the mapping's model calls: wrapper spans repeat their
    /// children's usage) started at or after `sinceUnixNano`, summed per group (provider and model unless `grouping` says otherwise). A
    /// call whose own child is such a call with usage (two instrumentations stacked, or a span
    /// that sums its calls) is left out, whichever of the two was stored first.
    public func usageStats(sinceUnixNano: UInt64, untilUnixNano: UInt64?, readable: ReadableKeys, operations: Set<String>,
                           by grouping: UsageGrouping) throws(StoreError) -> [UsageStat] {
        var window = LogFilter(.sqlite)
        window.restrict(to: readable)
        if let untilUnixNano { window.add("l.start_time_unix_nano < \(Int64(clamping: untilUnixNano))") }
        let placeholders = Array(repeating: "?", count: operations.count).joined(separator: ", ")
        // provider, model, group: the columns each grouping keeps.
        let (provider, model, group) = switch grouping {
        case .providerModel: ("provider", "model", "NULL")
        case .provider: ("provider", "NULL", "NULL")
        case .model: ("NULL", "model", "NULL")
        case .service: ("NULL", "NULL", "service_name")
        case .key: ("NULL", "NULL", "CAST(api_key_id AS TEXT)")
        case .day: ("NULL", "NULL", "date(start_time_unix_nano / 1000000000, 'unixepoch')")
        case .dayModel: ("provider", "model", "date(start_time_unix_nano / 1000000000, 'unixepoch')")
        }
        return try withConnection { (db) throws(StorageError) -> [UsageStat] in
            let query = try db.prepare("""
                SELECT \(provider), \(model), count(*), total(input_tokens), total(output_tokens),
                       total(cache_read_tokens), total(reasoning_tokens), total(cache_write_tokens), \(group) AS grp, sum(cost_usd)
                FROM llm_logs l
                WHERE start_time_unix_nano >= ? AND operation IN (\(placeholders)) AND \(window.whereSQL)
                  AND NOT EXISTS (
                      SELECT 1 FROM llm_logs c
                      WHERE c.api_key_id = l.api_key_id AND c.trace_id = l.trace_id AND c.parent_span_id = l.span_id
                        AND c.operation IN (\(placeholders))
                        AND (c.input_tokens IS NOT NULL OR c.output_tokens IS NOT NULL))
                GROUP BY 1, 2, grp ORDER BY \(grouping.isByDay ? "grp, count(*) DESC, 1, 2" : "count(*) DESC, 1, 2, grp")
                """)
            query.bind(1, Int64(clamping: sinceUnixNano))
            let sorted = operations.sorted()
            for (offset, operation) in (sorted + sorted).enumerated() { query.bind(Int32(offset + 2), operation) }
            var stats: [UsageStat] = []
            while try query.step() {
                stats.append(UsageStat(
                    provider: query.string(0), model: query.string(1), calls: query.int64(2) ?? 0,
                    inputTokens: Int64(query.double(3)), outputTokens: Int64(query.double(4)),
                    cacheReadTokens: Int64(query.double(5)), reasoningTokens: Int64(query.double(6)),
                    cacheWriteTokens: Int64(query.double(7)), group: query.string(8),
                    costUSD: query.int64(9).map { _ in query.double(9) }))
            }
            return stats
        }
    }
}

extension SQLiteLogStore {
    /// `usageStats(by: .dayModel)` of the counted operations from the UTC day of `sinceUnixNano`,
    /// read from `usage_days` (`UsageDays`) instead of the rows.
    public func dailyUsage(sinceUnixNano: UInt64, readable: ReadableKeys) throws(StoreError) -> [UsageStat] {
        var keys = LogFilter(.sqlite)
        keys.restrict(to: readable)
        return try withConnection { (db) throws(StorageError) -> [UsageStat] in
            let query = try db.prepare(UsageDays.perDayAndModel(
                restriction: keys.whereSQL, dayText: "date(day * 86400, 'unixepoch')", since: "?"))
            query.bind(1, Int64(clamping: sinceUnixNano / 86_400_000_000_000))
            var stats: [UsageStat] = []
            while try query.step() {
                stats.append(UsageStat(
                    provider: query.string(0), model: query.string(1), calls: query.int64(2) ?? 0,
                    inputTokens: query.int64(3) ?? 0, outputTokens: query.int64(4) ?? 0,
                    cacheReadTokens: query.int64(5) ?? 0, reasoningTokens: query.int64(6) ?? 0,
                    cacheWriteTokens: query.int64(7) ?? 0, group: query.string(8),
                    costUSD: query.int64(9).map { _ in query.double(9) }))
            }
            return stats
        }
    }
}
