import LLMLog

/// Usage per UTC day, key, provider and model, kept in `usage_days` by the transaction that
/// inserts or deletes the rows, so that the viewer's usage page sums a few hundred cells instead of
/// every row of its window (`make bench-viewer`: 30 days of 1 000 000 rows took 4.2 s).
///
/// The cells follow `UsageRule` exactly as `usageStats` applies it: a row counts when its operation
/// is a model call and no model call with usage is its child. A change to a set of rows `S`, all
/// present in the table (just inserted, or about to be deleted), moves two kinds of row:
/// - the rows of `S` that count with `S` present: added on insert, taken away on delete;
/// - the rows outside `S` that count without `S` but not with it (a parent whose first call with
///   usage is in `S`): taken away on insert, added back on delete.
/// The same query with the sign flipped serves both, whatever the order in which rows arrive.
enum UsageDays {
    /// `UsageRule.countedOperations`, which a test holds this to; changing it needs a migration
    /// that rebuilds `usage_days`.
    static let operations = ["chat", "embeddings", "generate_content", "text_completion"]

    /// NULL provider or model is stored as '' so that the cell's key is unique on both engines
    /// (the mapping never stores an empty name).
    static let table = """
        day BIGINT NOT NULL,
        api_key_id BIGINT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        calls BIGINT NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        reasoning_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        priced_calls BIGINT NOT NULL,
        PRIMARY KEY (day, api_key_id, provider, model)
        """

    /// Adds to the cells what the rows matching `inSet` (a condition on the alias it is given)
    /// change, with `sign` 1 after they were inserted and -1 before they are deleted.
    static func change(inSet: (String) -> String, sign: Int) -> String {
        let operations = "(" + Self.operations.map { "'\($0)'" }.joined(separator: ", ") + ")"
        func callWithUsage(_ c: String, childOf x: String) -> String {
            """
            \(c).api_key_id = \(x).api_key_id AND \(c).trace_id = \(x).trace_id AND \(c).parent_span_id = \(x).span_id
                AND \(c).operation IN \(operations) AND (\(c).input_tokens IS NOT NULL OR \(c).output_tokens IS NOT NULL)
            """
        }
        let columns = """
            x.start_time_unix_nano, x.api_key_id, x.provider, x.model, x.input_tokens, x.output_tokens,
            x.cache_read_tokens, x.reasoning_tokens, x.cache_write_tokens, x.cost_usd
            """
        let sums = ["calls", "input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens",
                    "cache_write_tokens", "cost_usd", "priced_calls"]
        return """
            INSERT INTO usage_days (day, api_key_id, provider, model, \(sums.joined(separator: ", ")))
            SELECT d.start_time_unix_nano / 86400000000000, d.api_key_id, coalesce(d.provider, ''), coalesce(d.model, ''),
                   sum(d.sign), sum(d.sign * coalesce(d.input_tokens, 0)), sum(d.sign * coalesce(d.output_tokens, 0)),
                   sum(d.sign * coalesce(d.cache_read_tokens, 0)), sum(d.sign * coalesce(d.reasoning_tokens, 0)),
                   sum(d.sign * coalesce(d.cache_write_tokens, 0)), sum(d.sign * coalesce(d.cost_usd, 0)),
                   sum(CASE WHEN d.cost_usd IS NULL THEN 0 ELSE d.sign END)
            FROM (
                SELECT \(sign) AS sign, \(columns) FROM llm_logs x
                WHERE (\(inSet("x"))) AND x.operation IN \(operations)
                  AND NOT EXISTS (SELECT 1 FROM llm_logs c WHERE \(callWithUsage("c", childOf: "x")))
                UNION ALL
                SELECT \(-sign) AS sign, \(columns) FROM llm_logs x
                WHERE x.id IN (
                        SELECT p.id FROM llm_logs c
                        JOIN llm_logs p ON p.api_key_id = c.api_key_id AND p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
                        WHERE (\(inSet("c"))) AND c.operation IN \(operations)
                          AND (c.input_tokens IS NOT NULL OR c.output_tokens IS NOT NULL)
                          AND p.operation IN \(operations) AND NOT (\(inSet("p"))))
                  AND NOT EXISTS (SELECT 1 FROM llm_logs c WHERE \(callWithUsage("c", childOf: "x")) AND NOT (\(inSet("c"))))
            ) d
            WHERE true
            GROUP BY 1, 2, 3, 4
            ON CONFLICT (day, api_key_id, provider, model) DO UPDATE SET
            \(sums.map { "\($0) = usage_days.\($0) + excluded.\($0)" }.joined(separator: ", "))
            """
    }

    /// Fills the cells from the rows already stored, once, when the table is made.
    static let backfill = change(inSet: { _ in "1=1" }, sign: 1)

    /// The cells of the days from `sinceDay` (days since 1970-01-01 UTC) that `readable` covers,
    /// per day and provider and model, as `usageStats(by: .dayModel)` returns them; `dayText`
    /// writes `day` as YYYY-MM-DD in the engine's SQL.
    static func perDayAndModel(restriction: String, dayText: String, since: String) -> String {
        """
        SELECT NULLIF(provider, ''), NULLIF(model, ''), sum(calls), sum(input_tokens), sum(output_tokens),
               sum(cache_read_tokens), sum(reasoning_tokens), sum(cache_write_tokens), \(dayText) AS grp,
               CASE WHEN sum(priced_calls) > 0 THEN sum(cost_usd) END
        FROM usage_days l
        WHERE day >= \(since) AND \(restriction)
        GROUP BY day, provider, model
        HAVING sum(calls) <> 0
        ORDER BY day, sum(calls) DESC, 1, 2
        """
    }
}
