import LLMLog

/// A stored log as one JSON object with the column names of `llm_logs` (`LLMLogColumn.all`, and
/// the store's own), written by the same writer as the columns themselves.
enum LogJSON {
    static func line(_ log: StoredLog) -> String {
        var object: [String: JSONValue] = [
            "id": .number(String(log.id)),
            "api_key_id": .number(String(log.apiKeyID)),
            "received_at": .number(String(log.receivedAt)),
            "resource": nested(log.record.resourceJSON),
        ]
        for column in LLMLogColumn.all {
            object[column.name] = switch column.value(of: log.record) {
            case .null: .null
            case .text(let text): column.kind == .json ? nested(text) : .string(text)
            case .integer(let number): .number(String(number))
            case .real(let number): .double(number)
            }
        }
        return JSONValue.object(JSONMembers(object)).serialized
    }

    /// A JSON column as structure, so that the line nests it instead of quoting it.
    private static func nested(_ json: String) -> JSONValue {
        (try? JSONParser.parse(Array(json.utf8), maxDepth: 256)) ?? .string(json)
    }
}
