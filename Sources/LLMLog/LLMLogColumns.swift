/// A column's value as a store holds it.
public enum ColumnValue: Equatable, Sendable {
    case null
    case text(String)
    case integer(Int64)
    case real(Double)
}

/// One column of the LLM log and the record field it holds. `LLMLogColumn.all` is the one list
/// of them: a store's insert and select and `logs --json` are derived from it, and the schema
/// tests check the migrations against it.
public struct LLMLogColumn: Sendable {
    public enum Kind: Sendable {
        case text, integer, real
        /// Text that holds a JSON value (`logs --json` nests it rather than quoting it).
        case json
    }

    public let name: String
    public let kind: Kind
    private let get: @Sendable (LLMLogRecord) -> ColumnValue
    private let set: @Sendable (inout LLMLogRecord, ColumnValue) -> Void

    public func value(of record: LLMLogRecord) -> ColumnValue { get(record) }
    public func fill(_ record: inout LLMLogRecord, with value: ColumnValue) { set(&record, value) }

    /// In the order of the columns' first migrations, which is also the order of `logs --json`.
    public static let all: [LLMLogColumn] = [
        text("trace_id", \.traceID), text("span_id", \.spanID), text("parent_span_id", \.parentSpanID),
        text("service_name", \.serviceName), text("span_name", \.spanName), text("operation", \.operation),
        text("provider", \.provider), text("model", \.model), text("prompt", \.prompt), text("completion", \.completion),
        integer("input_tokens", \.inputTokens), integer("output_tokens", \.outputTokens),
        LLMLogColumn(name: "latency_ms", kind: .real, get: { .real($0.latencyMs) },
                     set: { if case .real(let x) = $1 { $0.latencyMs = x } else if case .integer(let n) = $1 { $0.latencyMs = Double(n) } }),
        nanoseconds("start_time_unix_nano", \.startTimeUnixNano), nanoseconds("end_time_unix_nano", \.endTimeUnixNano),
        LLMLogColumn(name: "status_code", kind: .integer, get: { .integer(Int64($0.statusCode)) },
                     set: { if case .integer(let n) = $1 { $0.statusCode = Int(clamping: n) } }),
        text("status_message", \.statusMessage),
        LLMLogColumn(name: "attributes", kind: .json, get: { .text($0.attributesJSON) },
                     set: { if case .text(let t) = $1 { $0.attributesJSON = t } }),
        text("response_model", \.responseModel),
        integer("cache_read_tokens", \.cacheReadTokens), integer("reasoning_tokens", \.reasoningTokens),
        text("finish_reasons", \.finishReasons, kind: .json), text("error_type", \.errorType), text("scope_name", \.scopeName),
        integer("cache_write_tokens", \.cacheWriteTokens), text("conversation_id", \.conversationID),
        text("agent_name", \.agentName), text("response_id", \.responseID),
        LLMLogColumn(name: "cost_usd", kind: .real, get: { $0.costUSD.map(ColumnValue.real) ?? .null },
                     set: { if case .real(let x) = $1 { $0.costUSD = x } else if case .integer(let n) = $1 { $0.costUSD = Double(n) } else { $0.costUSD = nil } }),
        text("cost_source", \.costSource),
    ]

    private static func text(_ name: String, _ field: WritableKeyPath<LLMLogRecord, String> & Sendable) -> LLMLogColumn {
        LLMLogColumn(name: name, kind: .text, get: { .text($0[keyPath: field]) },
                     set: { if case .text(let t) = $1 { $0[keyPath: field] = t } })
    }

    private static func text(_ name: String, _ field: WritableKeyPath<LLMLogRecord, String?> & Sendable, kind: Kind = .text) -> LLMLogColumn {
        LLMLogColumn(name: name, kind: kind, get: { $0[keyPath: field].map(ColumnValue.text) ?? .null },
                     set: { if case .text(let t) = $1 { $0[keyPath: field] = t } else { $0[keyPath: field] = nil } })
    }

    private static func integer(_ name: String, _ field: WritableKeyPath<LLMLogRecord, Int64?> & Sendable) -> LLMLogColumn {
        LLMLogColumn(name: name, kind: .integer, get: { $0[keyPath: field].map(ColumnValue.integer) ?? .null },
                     set: { if case .integer(let n) = $1 { $0[keyPath: field] = n } else { $0[keyPath: field] = nil } })
    }

    /// Unsigned in OTLP, signed 64-bit in SQL: clamped both ways (no real time is past 2262).
    private static func nanoseconds(_ name: String, _ field: WritableKeyPath<LLMLogRecord, UInt64> & Sendable) -> LLMLogColumn {
        LLMLogColumn(name: name, kind: .integer, get: { .integer(Int64(clamping: $0[keyPath: field])) },
                     set: { if case .integer(let n) = $1 { $0[keyPath: field] = UInt64(clamping: n) } })
    }
}
