import Foundation
import Storage

/// A stored log as one JSON object with the column names of `llm_logs`.
enum LogJSON {
    static func line(_ log: StoredLog) -> String {
        let record = log.record
        var object: [String: Any] = [
            "id": log.id,
            "api_key_id": log.apiKeyID,
            "received_at": log.receivedAt,
            "trace_id": record.traceID,
            "span_id": record.spanID,
            "span_name": record.spanName,
            "latency_ms": record.latencyMs,
            "start_time_unix_nano": record.startTimeUnixNano,
            "end_time_unix_nano": record.endTimeUnixNano,
            "status_code": record.statusCode,
        ]
        let optional: [String: Any?] = [
            "parent_span_id": record.parentSpanID, "service_name": record.serviceName,
            "operation": record.operation, "provider": record.provider, "model": record.model,
            "prompt": record.prompt, "completion": record.completion,
            "input_tokens": record.inputTokens, "output_tokens": record.outputTokens,
            "status_message": record.statusMessage, "response_model": record.responseModel,
            "cache_read_tokens": record.cacheReadTokens, "reasoning_tokens": record.reasoningTokens,
            "error_type": record.errorType, "scope_name": record.scopeName,
            "finish_reasons": record.finishReasons.map(parsed),
        ]
        for (key, value) in optional { object[key] = value ?? NSNull() }
        object["attributes"] = parsed(record.attributesJSON)
        object["resource"] = parsed(record.resourceJSON)
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A JSON column as structure, so that the line nests it instead of quoting it.
    private static func parsed(_ json: String) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])) ?? json
    }
}
