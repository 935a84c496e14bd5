/// The schema as numbered migrations; `PRAGMA user_version` records how many have run.
/// Append new migrations, never edit old ones: databases in the field have run them.
enum Schema {
    static let migrations: [String] = [
        // 1: API keys and the LLM log.
        """
        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        CREATE TABLE llm_logs (
            id INTEGER PRIMARY KEY,
            api_key_id INTEGER NOT NULL REFERENCES api_keys(id),
            received_at INTEGER NOT NULL,
            trace_id TEXT NOT NULL,
            span_id TEXT NOT NULL,
            parent_span_id TEXT,
            service_name TEXT,
            span_name TEXT NOT NULL,
            operation TEXT,
            provider TEXT,
            model TEXT,
            prompt TEXT,
            completion TEXT,
            input_tokens INTEGER,
            output_tokens INTEGER,
            latency_ms REAL NOT NULL,
            start_time_unix_nano INTEGER NOT NULL,
            end_time_unix_nano INTEGER NOT NULL,
            status_code INTEGER NOT NULL,
            status_message TEXT,
            attributes TEXT NOT NULL
        );
        CREATE UNIQUE INDEX llm_logs_key_trace_span ON llm_logs (api_key_id, trace_id, span_id);
        """,
        // 2: what every GenAI dialect can tell, and an index for time windows (`stats`).
        """
        ALTER TABLE llm_logs ADD COLUMN response_model TEXT;
        ALTER TABLE llm_logs ADD COLUMN cache_read_tokens INTEGER;
        ALTER TABLE llm_logs ADD COLUMN reasoning_tokens INTEGER;
        ALTER TABLE llm_logs ADD COLUMN finish_reasons TEXT;
        ALTER TABLE llm_logs ADD COLUMN error_type TEXT;
        ALTER TABLE llm_logs ADD COLUMN scope_name TEXT;
        ALTER TABLE llm_logs ADD COLUMN resource TEXT;
        CREATE INDEX llm_logs_start_time ON llm_logs (start_time_unix_nano);
        """,
        // 3: prompt and completion content that arrives as log records (POST /v1/logs), kept until
        // its span's row exists and merged into it; `content_from_events` marks what came from here
        // (1 prompt, 2 completion) so that later events of the same span extend it.
        """
        CREATE TABLE genai_events (
            id INTEGER PRIMARY KEY,
            api_key_id INTEGER NOT NULL,
            trace_id TEXT NOT NULL,
            span_id TEXT NOT NULL,
            side INTEGER NOT NULL,
            time_unix_nano INTEGER NOT NULL,
            position INTEGER NOT NULL,
            choice_index INTEGER,
            messages TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            fingerprint TEXT NOT NULL
        );
        CREATE UNIQUE INDEX genai_events_span ON genai_events (api_key_id, trace_id, span_id, fingerprint);
        CREATE INDEX genai_events_received ON genai_events (received_at);
        ALTER TABLE llm_logs ADD COLUMN content_from_events INTEGER NOT NULL DEFAULT 0;
        """,
        // 4: a resource is stored once and shared by the rows of its spans (one export of 50
        // spans with a 1 MiB resource wrote it 50 times). Rows before this keep `resource` inline.
        """
        CREATE TABLE resources (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            json TEXT NOT NULL
        );
        ALTER TABLE llm_logs ADD COLUMN resource_id INTEGER REFERENCES resources(id);
        """,
        // 5: a span's children, for the usage rule (a call whose child is a call is not counted).
        """
        CREATE INDEX llm_logs_parent ON llm_logs (api_key_id, trace_id, parent_span_id);
        """,
        // 6: tokens written to a prompt cache, and what users filter on.
        """
        ALTER TABLE llm_logs ADD COLUMN cache_write_tokens INTEGER;
        ALTER TABLE llm_logs ADD COLUMN conversation_id TEXT;
        ALTER TABLE llm_logs ADD COLUMN agent_name TEXT;
        ALTER TABLE llm_logs ADD COLUMN response_id TEXT;
        """,
        // 7: what a call cost, in USD (NULL when unknown), and whether it was reported or priced.
        """
        ALTER TABLE llm_logs ADD COLUMN cost_usd REAL;
        ALTER TABLE llm_logs ADD COLUMN cost_source TEXT;
        """,
        // 8: one row that `GET /healthz` rewrites, to show that a commit goes through.
        """
        CREATE TABLE health (id INTEGER PRIMARY KEY CHECK (id = 1), checked_at INTEGER NOT NULL);
        """,
        // 9: retention finds the resources that no row uses any more.
        """
        CREATE INDEX llm_logs_resource ON llm_logs (resource_id);
        """,
        // 10: what a key's requests may store of prompts and completions (`ContentPolicy`).
        """
        ALTER TABLE api_keys ADD COLUMN content_policy TEXT NOT NULL DEFAULT 'full';
        """,
        // 11: the viewer: what a key may do (every earlier key ingests), whose rows a read key sees
        // (ids as `1,5`, NULL for all), and its sessions, kept as the SHA-256 of their tokens.
        """
        ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'ingest';
        ALTER TABLE api_keys ADD COLUMN readable_keys TEXT;
        CREATE TABLE viewer_sessions (
            token_hash TEXT PRIMARY KEY,
            api_key_id INTEGER NOT NULL REFERENCES api_keys(id),
            expires_at INTEGER NOT NULL
        );
        """,
        // 12: the viewer's filters walk these newest first (`make bench-viewer`: a model in 10 000
        // rows took 1 s, a conversation 2 s, one key 2.5 s on the start-time index alone).
        """
        CREATE INDEX llm_logs_model_time ON llm_logs (model, start_time_unix_nano);
        CREATE INDEX llm_logs_service_time ON llm_logs (service_name, start_time_unix_nano);
        CREATE INDEX llm_logs_key_time ON llm_logs (api_key_id, start_time_unix_nano);
        CREATE INDEX llm_logs_conversation_time ON llm_logs (conversation_id, start_time_unix_nano) WHERE conversation_id IS NOT NULL;
        """,
        // 13: usage per day, key, provider and model, kept by each transaction (`UsageDays`), from
        // the rows already stored.
        """
        CREATE TABLE usage_days (\(UsageDays.table)) WITHOUT ROWID;
        \(UsageDays.backfill);
        """,
    ]
}
