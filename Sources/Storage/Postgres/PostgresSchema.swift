import LLMLog

/// The schema in PostgreSQL, as numbered migrations (table `ingate_schema` records how many have
/// run): the same tables, columns and unique key as SQLite's (`Schema`), JSON columns as `jsonb`.
/// Append new migrations, never edit old ones.
enum PostgresSchema {
    /// Columns a row must have (NOT NULL), as in SQLite's first migration.
    static let required: Set<String> = [
        "trace_id", "span_id", "span_name", "latency_ms", "start_time_unix_nano", "end_time_unix_nano", "status_code", "attributes",
    ]

    static func type(of column: LLMLogColumn) -> String {
        let type = switch column.kind {
        case .text: "TEXT"
        case .integer: "BIGINT"
        case .real: "DOUBLE PRECISION"
        case .json: "JSONB"
        }
        return required.contains(column.name) ? type + " NOT NULL" : type
    }

    static let migrations: [String] = [
        // 1: everything SQLite's migrations 1-10 made, at once.
        """
        CREATE TABLE api_keys (
            id BIGSERIAL PRIMARY KEY,
            name TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            created_at BIGINT NOT NULL,
            revoked_at BIGINT,
            content_policy TEXT NOT NULL DEFAULT 'full'
        );
        CREATE TABLE resources (
            id BIGSERIAL PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            json JSONB NOT NULL
        );
        CREATE TABLE llm_logs (
            id BIGSERIAL PRIMARY KEY,
            api_key_id BIGINT NOT NULL REFERENCES api_keys(id),
            received_at BIGINT NOT NULL,
            resource_id BIGINT REFERENCES resources(id),
            resource JSONB,
            content_from_events INTEGER NOT NULL DEFAULT 0,
            \(LLMLogColumn.all.map { "\($0.name) \(type(of: $0))" }.joined(separator: ",\n    "))
        );
        CREATE UNIQUE INDEX llm_logs_key_trace_span ON llm_logs (api_key_id, trace_id, span_id);
        CREATE INDEX llm_logs_start_time ON llm_logs (start_time_unix_nano);
        CREATE INDEX llm_logs_parent ON llm_logs (api_key_id, trace_id, parent_span_id);
        CREATE INDEX llm_logs_resource ON llm_logs (resource_id);
        CREATE TABLE genai_events (
            id BIGSERIAL PRIMARY KEY,
            api_key_id BIGINT NOT NULL,
            trace_id TEXT NOT NULL,
            span_id TEXT NOT NULL,
            side INTEGER NOT NULL,
            time_unix_nano BIGINT NOT NULL,
            position INTEGER NOT NULL,
            choice_index INTEGER,
            messages TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            fingerprint TEXT NOT NULL
        );
        CREATE UNIQUE INDEX genai_events_span ON genai_events (api_key_id, trace_id, span_id, fingerprint);
        CREATE INDEX genai_events_received ON genai_events (received_at);
        CREATE TABLE health (id INTEGER PRIMARY KEY CHECK (id = 1), checked_at BIGINT NOT NULL);
        """,
        // 2: long prompts, completions and attributes are compressed with lz4 rather than pglz, which
        // costs a fifth of the server's time per row (`make bench`: 4 900 -> 6 100 rows/s); a server
        // built without lz4 keeps pglz.
        """
        DO $$
        DECLARE c record;
        BEGIN
            FOR c IN SELECT column_name FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = 'llm_logs' AND data_type IN ('text', 'jsonb')
            LOOP
                EXECUTE format('ALTER TABLE llm_logs ALTER COLUMN %I SET COMPRESSION lz4', c.column_name);
            END LOOP;
        EXCEPTION WHEN feature_not_supported THEN NULL;
        END $$;
        """,
        // 3: the viewer, as SQLite's migration 11, and the index its newest-first pages walk.
        """
        ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'ingest';
        ALTER TABLE api_keys ADD COLUMN readable_keys TEXT;
        CREATE TABLE viewer_sessions (
            token_hash TEXT PRIMARY KEY,
            api_key_id BIGINT NOT NULL REFERENCES api_keys(id),
            expires_at BIGINT NOT NULL
        );
        CREATE INDEX llm_logs_start_time_id ON llm_logs (start_time_unix_nano, id);
        """,
        // 4: the viewer's filters, as SQLite's migration 12.
        """
        CREATE INDEX llm_logs_model_time ON llm_logs (model, start_time_unix_nano);
        CREATE INDEX llm_logs_service_time ON llm_logs (service_name, start_time_unix_nano);
        CREATE INDEX llm_logs_key_time ON llm_logs (api_key_id, start_time_unix_nano);
        CREATE INDEX llm_logs_conversation_time ON llm_logs (conversation_id, start_time_unix_nano) WHERE conversation_id IS NOT NULL;
        """,
        // 5: usage per day, as SQLite's migration 13.
        """
        CREATE TABLE usage_days (\(UsageDays.table));
        \(UsageDays.backfill);
        """,
    ]

    /// Runs the migrations not yet run, one transaction each, under an advisory lock so that
    /// receivers starting together on one database migrate it once.
    static func migrate(_ db: PostgresConnection) throws(StorageError) {
        try db.execute("CREATE TABLE IF NOT EXISTS ingate_schema (version INTEGER NOT NULL)")
        for (offset, sql) in migrations.enumerated() {
            let number = offset + 1
            try db.execute("BEGIN")
            do {
                try db.execute("SELECT pg_advisory_xact_lock(7413002)")
                let done = try db.execute("SELECT coalesce(max(version), 0) FROM ingate_schema").first?[0].flatMap { Int($0) } ?? 0
                if done < number {
                    try db.executeScript(sql)
                    try db.execute("INSERT INTO ingate_schema (version) VALUES ($1)", [String(number)])
                }
                try db.execute("COMMIT")
            } catch {
                _ = try? db.execute("ROLLBACK")
                throw error
            }
        }
    }
}
