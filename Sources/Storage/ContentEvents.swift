import LLMLog
import Crypto
import Foundation

/// Prompt and completion content that arrived as log records, kept in `genai_events` and merged
/// into the row of the span it names — whichever of the two arrives first. Runs on the store's
/// connection, inside the caller's transaction. Every lookup includes the API key: content
/// never crosses keys.
final class ContentEvents {
    private let connection: SQLiteConnection
    private let insertEvent: SQLiteStatement
    private let waiting: SQLiteStatement
    private let anyForKey: SQLiteStatement
    private let findRow: SQLiteStatement
    private let spanEvents: SQLiteStatement
    private let updateRow: SQLiteStatement
    private let join: ContentJoinRule

    /// Bits of `llm_logs.content_from_events`.
    private static let promptFromEvents: Int64 = 1
    private static let completionFromEvents: Int64 = 2

    init(_ connection: SQLiteConnection, join: @escaping ContentJoinRule) throws(StorageError) {
        self.connection = connection
        self.join = join
        insertEvent = try connection.prepare("""
            INSERT OR IGNORE INTO genai_events (api_key_id, trace_id, span_id, side, time_unix_nano, position,
                choice_index, messages, received_at, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let span = "api_key_id = ? AND trace_id = ? AND span_id = ?"
        waiting = try connection.prepare("SELECT 1 FROM genai_events WHERE \(span) LIMIT 1")
        anyForKey = try connection.prepare("SELECT 1 FROM genai_events WHERE api_key_id = ? LIMIT 1")
        findRow = try connection.prepare("SELECT id, prompt, completion, content_from_events FROM llm_logs WHERE \(span)")
        spanEvents = try connection.prepare("SELECT side, time_unix_nano, position, choice_index, messages FROM genai_events WHERE \(span)")
        updateRow = try connection.prepare("UPDATE llm_logs SET prompt = ?, completion = ?, content_from_events = ? WHERE id = ?")
    }

    /// Stores events (a retried export's are already there and are skipped) and merges them into
    /// the rows of their spans that exist. Returns how many events were new.
    func insert(_ events: [GenAIContentEvent], apiKeyID: Int64, receivedAt: Int64) throws(StorageError) -> Int {
        var inserted = 0
        var touched: [(String, String)] = []
        for event in events {
            let s = insertEvent
            s.bind(1, apiKeyID)
            s.bind(2, event.traceID)
            s.bind(3, event.spanID)
            s.bind(4, Int64(event.side.rawValue))
            s.bind(5, Int64(clamping: event.timeUnixNano))
            s.bind(6, Int64(event.position))
            s.bind(7, event.choiceIndex.map(Int64.init))
            s.bind(8, event.messagesJSON)
            s.bind(9, receivedAt)
            s.bind(10, Self.fingerprint(event))
            try s.run()
            if connection.changes > 0 {
                inserted += 1
                if !touched.contains(where: { $0 == (event.traceID, event.spanID) }) { touched.append((event.traceID, event.spanID)) }
            }
        }
        for (traceID, spanID) in touched {
            try merge(apiKeyID: apiKeyID, traceID: traceID, spanID: spanID)
        }
        return inserted
    }

    /// Whether any content of this key is stored at all: when none is (an application that
    /// sends no logs), a request's rows need no lookup each.
    func anyStored(apiKeyID: Int64) throws(StorageError) -> Bool {
        anyForKey.bind(1, apiKeyID)
        defer { anyForKey.reset() }
        return try anyForKey.step()
    }

    /// Called for each newly stored span row: merges content that was waiting for it.
    func mergeIfWaiting(apiKeyID: Int64, traceID: String, spanID: String) throws(StorageError) {
        bindSpan(waiting, apiKeyID, traceID, spanID)
        defer { waiting.reset() }
        guard try waiting.step() else { return }
        waiting.reset()
        try merge(apiKeyID: apiKeyID, traceID: traceID, spanID: spanID)
    }

    /// Rebuilds the row's prompt and completion from every event of its span, by the join rule.
    private func merge(apiKeyID: Int64, traceID: String, spanID: String) throws(StorageError) {
        bindSpan(findRow, apiKeyID, traceID, spanID)
        guard try findRow.step(), let rowID = findRow.int64(0) else {
            findRow.reset()
            return
        }
        let bits = findRow.int64(3) ?? 0
        let row = SpanContent(prompt: findRow.string(1), completion: findRow.string(2),
                              promptFromEvents: bits & Self.promptFromEvents != 0,
                              completionFromEvents: bits & Self.completionFromEvents != 0)
        findRow.reset()

        bindSpan(spanEvents, apiKeyID, traceID, spanID)
        var events: [GenAIContentEvent] = []
        while try spanEvents.step() {
            events.append(GenAIContentEvent(
                traceID: traceID, spanID: spanID,
                side: GenAIContentEvent.Side(rawValue: Int(spanEvents.int64(0) ?? 0)) ?? .input,
                timeUnixNano: UInt64(clamping: spanEvents.int64(1) ?? 0), position: Int(spanEvents.int64(2) ?? 0),
                choiceIndex: spanEvents.int64(3).map { Int($0) }, messagesJSON: spanEvents.string(4) ?? "[]"))
        }
        spanEvents.reset()

        let joined = join(row, events)
        guard joined != row else { return }
        updateRow.bind(1, joined.prompt)
        updateRow.bind(2, joined.completion)
        updateRow.bind(3, (joined.promptFromEvents ? Self.promptFromEvents : 0) | (joined.completionFromEvents ? Self.completionFromEvents : 0))
        updateRow.bind(4, rowID)
        try updateRow.run()
    }

    /// Deletes up to `limit` events received before `cutoff` (unix ms). Returns how many went.
    func deleteExpired(before cutoff: Int64, limit: Int) throws(StorageError) -> Int {
        let delete = try connection.prepare("""
            DELETE FROM genai_events WHERE id IN (SELECT id FROM genai_events WHERE received_at < ? LIMIT ?)
            """)
        delete.bind(1, cutoff)
        delete.bind(2, Int64(limit))
        try delete.run()
        return connection.changes
    }

    private func bindSpan(_ statement: SQLiteStatement, _ apiKeyID: Int64, _ traceID: String, _ spanID: String) {
        statement.bind(1, apiKeyID)
        statement.bind(2, traceID)
        statement.bind(3, spanID)
    }

    /// What makes two records the same event: a retried export sends them again, byte for byte.
    static func fingerprint(_ event: GenAIContentEvent) -> String {
        let identity = "\(event.side.rawValue)|\(event.timeUnixNano)|\(event.choiceIndex.map(String.init) ?? "-")|\(event.messagesJSON)"
        return Hex.encode(SHA256.hash(data: Data(identity.utf8)))
    }
}
