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
            "status_message": record.statusMessage,
        ]
        for (key, value) in optional { object[key] = value ?? NSNull() }
        let attributes = (try? JSONSerialization.jsonObject(with: Data(record.attributesJSON.utf8), options: [.fragmentsAllowed])) ?? record.attributesJSON
        object["attributes"] = attributes
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
