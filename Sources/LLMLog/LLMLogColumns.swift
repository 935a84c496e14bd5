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
        text("trace_id", { $0.traceID }, { $0.traceID = $1 }),
        text("span_id", { $0.spanID }, { $0.spanID = $1 }),
        text("parent_span_id", { $0.parentSpanID }, { $0.parentSpanID = $1 }),
        text("service_name", { $0.serviceName }, { $0.serviceName = $1 }),
        text("span_name", { $0.spanName }, { $0.spanName = $1 }),
        text("operation", { $0.operation }, { $0.operation = $1 }),
        text("provider", { $0.provider }, { $0.provider = $1 }),
        text("model", { $0.model }, { $0.model = $1 }),
        text("prompt", { $0.prompt }, { $0.prompt = $1 }),
        text("completion", { $0.completion }, { $0.completion = $1 }),
        integer("input_tokens", { $0.inputTokens }, { $0.inputTokens = $1 }),
        integer("output_tokens", { $0.outputTokens }, { $0.outputTokens = $1 }),
        LLMLogColumn(name: "latency_ms", kind: .real, get: { .real($0.latencyMs) },
                     set: { if case .real(let x) = $1 { $0.latencyMs = x } else if case .integer(let n) = $1 { $0.latencyMs = Double(n) } }),
        nanoseconds("start_time_unix_nano", { $0.startTimeUnixNano }, { $0.startTimeUnixNano = $1 }),
        nanoseconds("end_time_unix_nano", { $0.endTimeUnixNano }, { $0.endTimeUnixNano = $1 }),
        LLMLogColumn(name: "status_code", kind: .integer, get: { .integer(Int64($0.statusCode)) },
                     set: { if case .integer(let n) = $1 { $0.statusCode = Int(clamping: n) } }),
        text("status_message", { $0.statusMessage }, { $0.statusMessage = $1 }),
        LLMLogColumn(name: "attributes", kind: .json, get: { .text($0.attributesJSON) },
                     set: { if case .text(let t) = $1 { $0.attributesJSON = t } }),
        text("response_model", { $0.responseModel }, { $0.responseModel = $1 }),
        integer("cache_read_tokens", { $0.cacheReadTokens }, { $0.cacheReadTokens = $1 }),
        integer("reasoning_tokens", { $0.reasoningTokens }, { $0.reasoningTokens = $1 }),
        text("finish_reasons", { $0.finishReasons }, { $0.finishReasons = $1 }, kind: .json),
        text("error_type", { $0.errorType }, { $0.errorType = $1 }),
        text("scope_name", { $0.scopeName }, { $0.scopeName = $1 }),
        integer("cache_write_tokens", { $0.cacheWriteTokens }, { $0.cacheWriteTokens = $1 }),
        text("conversation_id", { $0.conversationID }, { $0.conversationID = $1 }),
        text("agent_name", { $0.agentName }, { $0.agentName = $1 }),
        text("response_id", { $0.responseID }, { $0.responseID = $1 }),
        LLMLogColumn(name: "cost_usd", kind: .real, get: { $0.costUSD.map(ColumnValue.real) ?? .null },
                     set: { if case .real(let x) = $1 { $0.costUSD = x } else if case .integer(let n) = $1 { $0.costUSD = Double(n) } else { $0.costUSD = nil } }),
        text("cost_source", { $0.costSource }, { $0.costSource = $1 }),
    ]

    // Closures rather than key paths: a key path read on a value copies the whole record and looks
    // up generic metadata, ≈ 45 000 instructions a row over the columns of an insert (`bench store`
    // under callgrind), a third of what the store spends on a row.
    private static func text(_ name: String, _ get: @escaping @Sendable (LLMLogRecord) -> String,
                             _ set: @escaping @Sendable (inout LLMLogRecord, String) -> Void) -> LLMLogColumn {
        LLMLogColumn(name: name, kind: .text, get: { .text(get($0)) },
                     set: { if case .text(let t) = $1 { set(&$0, t) } })
    }

    private static func text(_ name: String, _ get: @escaping @Sendable (LLMLogRecord) -> String?,
                             _ set: @escaping @Sendable (inout LLMLogRecord, String?) -> Void, kind: Kind = .text) -> LLMLogColumn {
        LLMLogColumn(name: name, kind: kind, get: { get($0).map(ColumnValue.text) ?? .null },
                     set: { if case .text(let t) = $1 { set(&$0, t) } else { set(&$0, nil) } })
    }

    private static func integer(_ name: String, _ get: @escaping @Sendable (LLMLogRecord) -> Int64?,
                                _ set: @escaping @Sendable (inout LLMLogRecord, Int64?) -> Void) -> LLMLogColumn {
        LLMLogColumn(name: name, kind: .integer, get: { get($0).map(ColumnValue.integer) ?? .null },
                     set: { if case .integer(let n) = $1 { set(&$0, n) } else { set(&$0, nil) } })
    }

    /// Unsigned in OTLP, signed 64-bit in SQL: clamped both ways (no real time is past 2262).
    private static func nanoseconds(_ name: String, _ get: @escaping @Sendable (LLMLogRecord) -> UInt64,
                                    _ set: @escaping @Sendable (inout LLMLogRecord, UInt64) -> Void) -> LLMLogColumn {
        LLMLogColumn(name: name, kind: .integer, get: { .integer(Int64(clamping: get($0))) },
                     set: { if case .integer(let n) = $1 { set(&$0, UInt64(clamping: n)) } })
    }
}
