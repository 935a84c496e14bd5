import GenAIMapping

/// Calls and tokens of one provider and model over a time window.
public struct UsageStat: Equatable, Sendable {
    public var provider: String?
    public var model: String?
    public var calls: Int64
    public var inputTokens: Int64
    public var outputTokens: Int64
    public var cacheReadTokens: Int64
    public var reasoningTokens: Int64
}

extension LogStore {
    /// Model calls started at or after `sinceUnixNano`, summed per provider and model. Wrapper
    /// spans (agents, tools, workflows) are left out: their usage repeats their children's.
    public func usageStats(sinceUnixNano: UInt64) throws(StorageError) -> [UsageStat] {
        let operations = OperationRules.modelCalls.sorted().map { "'\($0)'" }.joined(separator: ", ")
        return try withConnection { (db) throws(StorageError) -> [UsageStat] in
            let query = try db.prepare("""
                SELECT provider, model, count(*), total(input_tokens), total(output_tokens),
                       total(cache_read_tokens), total(reasoning_tokens)
                FROM llm_logs
                WHERE start_time_unix_nano >= ? AND operation IN (\(operations))
                GROUP BY provider, model ORDER BY count(*) DESC, provider, model
                """)
            query.bind(1, Int64(clamping: sinceUnixNano))
            var stats: [UsageStat] = []
            while try query.step() {
                stats.append(UsageStat(
                    provider: query.string(0), model: query.string(1), calls: query.int64(2) ?? 0,
                    inputTokens: Int64(query.double(3)), outputTokens: Int64(query.double(4)),
                    cacheReadTokens: Int64(query.double(5)), reasoningTokens: Int64(query.double(6))))
            }
            return stats
        }
    }
}
