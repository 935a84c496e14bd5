import LLMLog
import Storage

/// A stored log as one JSON object with the column names of `llm_logs`, written by the same
/// writer as the columns themselves.
enum LogJSON {
    static func line(_ log: StoredLog) -> String {
        let record = log.record
        func int(_ value: Int64?) -> JSONValue { value.map { .number(String($0)) } ?? .null }
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let object: [String: JSONValue] = [
            "id": int(log.id),
            "api_key_id": int(log.apiKeyID),
            "received_at": int(log.receivedAt),
            "trace_id": .string(record.traceID),
            "span_id": .string(record.spanID),
            "parent_span_id": text(record.parentSpanID),
            "service_name": text(record.serviceName),
            "scope_name": text(record.scopeName),
            "span_name": .string(record.spanName),
            "operation": text(record.operation),
            "provider": text(record.provider),
            "model": text(record.model),
            "response_model": text(record.responseModel),
            "prompt": text(record.prompt),
            "completion": text(record.completion),
            "input_tokens": int(record.inputTokens),
            "output_tokens": int(record.outputTokens),
            "cache_read_tokens": int(record.cacheReadTokens),
            "reasoning_tokens": int(record.reasoningTokens),
            "finish_reasons": record.finishReasons.map(nested) ?? .null,
            "error_type": text(record.errorType),
            "latency_ms": .double(record.latencyMs),
            "start_time_unix_nano": .number(String(record.startTimeUnixNano)),
            "end_time_unix_nano": .number(String(record.endTimeUnixNano)),
            "status_code": .number(String(record.statusCode)),
            "status_message": text(record.statusMessage),
            "attributes": nested(record.attributesJSON),
            "resource": nested(record.resourceJSON),
        ]
        return JSONValue.object(object).serialized
    }

    /// A JSON column as structure, so that the line nests it instead of quoting it.
    private static func nested(_ json: String) -> JSONValue {
        (try? JSONParser.parse(Array(json.utf8), maxDepth: 256)) ?? .string(json)
    }
}
