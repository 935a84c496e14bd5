import LLMLog

/// Content that arrived as log records, in PostgreSQL: stored in `genai_events` and merged into
/// its span's row by the join rule, whichever arrives first (see `ContentEvents`). Receivers on
/// other hosts write concurrently, so both paths take a transaction-scoped advisory lock on the
/// span first: the second of a row and its events waits for the first to commit, then sees it.
extension PostgresLogStore {
    /// Bits of `llm_logs.content_from_events`.
    static let promptFromEvents = 1
    static let completionFromEvents = 2

    func write(_ events: [GenAIContentEvent], apiKeyID: Int64, receivedAt: Int64) throws(StorageError) -> Int {
        var inserted = 0
        var touched: [(String, String)] = []
        for event in events {
            try lockSpan(apiKeyID: apiKeyID, traceID: event.traceID, spanID: event.spanID)
            let new = try writer.execute("""
                INSERT INTO genai_events (api_key_id, trace_id, span_id, side, time_unix_nano, position, choice_index, messages,
                    received_at, fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (api_key_id, trace_id, span_id, fingerprint) DO NOTHING RETURNING id
                """, [String(apiKeyID), event.traceID, event.spanID, String(event.side.rawValue), String(Int64(clamping: event.timeUnixNano)),
                      String(event.position), event.choiceIndex.map(String.init), PostgresValues.text(event.messagesJSON),
                      String(receivedAt), ContentEvents.fingerprint(event)])
            guard !new.rows.isEmpty else { continue }
            inserted += 1
            if !touched.contains(where: { $0 == (event.traceID, event.spanID) }) { touched.append((event.traceID, event.spanID)) }
        }
        for (traceID, spanID) in touched { try merge(apiKeyID: apiKeyID, traceID: traceID, spanID: spanID) }
        return inserted
    }

    func anyEventsStored(apiKeyID: Int64) throws(StorageError) -> Bool {
        try writer.execute("SELECT 1 FROM genai_events WHERE api_key_id = $1 LIMIT 1", [String(apiKeyID)]).first != nil
    }

    /// For a newly stored row: merges content that was waiting for it.
    func mergeWaiting(apiKeyID: Int64, traceID: String, spanID: String) throws(StorageError) {
        try lockSpan(apiKeyID: apiKeyID, traceID: traceID, spanID: spanID)
        guard try writer.execute("SELECT 1 FROM genai_events WHERE api_key_id = $1 AND trace_id = $2 AND span_id = $3 LIMIT 1",
                                 [String(apiKeyID), traceID, spanID]).first != nil else { return }
        try merge(apiKeyID: apiKeyID, traceID: traceID, spanID: spanID)
    }

    private func lockSpan(apiKeyID: Int64, traceID: String, spanID: String) throws(StorageError) {
        try writer.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ["\(apiKeyID)/\(traceID)/\(spanID)"])
    }

    private func merge(apiKeyID: Int64, traceID: String, spanID: String) throws(StorageError) {
        let span = [String(apiKeyID), traceID, spanID]
        guard let row = try writer.execute("""
            SELECT id, prompt, completion, content_from_events FROM llm_logs WHERE api_key_id = $1 AND trace_id = $2 AND span_id = $3
            """, span).first, let rowID = row[0] else { return }
        let bits = Int(row[3] ?? "0") ?? 0
        let content = SpanContent(prompt: row[1], completion: row[2], promptFromEvents: bits & Self.promptFromEvents != 0,
                                  completionFromEvents: bits & Self.completionFromEvents != 0)
        let events = try writer.execute("""
            SELECT side, time_unix_nano, position, choice_index, messages FROM genai_events
            WHERE api_key_id = $1 AND trace_id = $2 AND span_id = $3
            """, span).rows.map { event in
            GenAIContentEvent(traceID: traceID, spanID: spanID, side: GenAIContentEvent.Side(rawValue: Int(event[0] ?? "0") ?? 0) ?? .input,
                              timeUnixNano: UInt64(event[1] ?? "0") ?? 0, position: Int(event[2] ?? "0") ?? 0,
                              choiceIndex: event[3].flatMap { Int($0) }, messagesJSON: event[4] ?? "[]")
        }
        let joined = join(content, events)
        guard joined != content else { return }
        let flags = (joined.promptFromEvents ? Self.promptFromEvents : 0) | (joined.completionFromEvents ? Self.completionFromEvents : 0)
        try writer.execute("UPDATE llm_logs SET prompt = $1, completion = $2, content_from_events = $3 WHERE id = $4",
                           [joined.prompt, joined.completion, String(flags), rowID])
    }

    public func deleteExpiredEvents(before cutoff: Int64, batch: Int = 500) throws(StoreError) -> Int {
        var total = 0
        while true {
            let deleted = try writing { (db) throws(StorageError) -> Int in
                try db.execute("""
                    DELETE FROM genai_events WHERE id IN (SELECT id FROM genai_events WHERE received_at < $1 LIMIT $2)
                    """, [String(cutoff), String(batch)]).changed
            }
            total += deleted
            if deleted < batch { return total }
        }
    }
}
