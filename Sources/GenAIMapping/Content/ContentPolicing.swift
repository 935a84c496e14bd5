import LLMLog
import Redaction

/// Applies a key's `ContentPolicy` to what a request would store, before anything is written:
/// `none` keeps no prompt or completion text anywhere (the columns, the content attributes, the
/// content of log events), `redact` keeps it with personal data and secrets replaced
/// (`Redactor`), in the columns and in every attribute string. Pure: no I/O.
public enum ContentPolicing {
    public static func apply(_ policy: ContentPolicy, to records: inout [LLMLogRecord]) {
        switch policy {
        case .full:
            return
        case .none:
            for index in records.indices {
                records[index].prompt = nil
                records[index].completion = nil
                records[index].attributesJSON = withoutContent(records[index].attributesJSON)
            }
        case .redact:
            for index in records.indices {
                records[index].prompt = records[index].prompt.map { Redactor.redactText($0) }
                records[index].completion = records[index].completion.map { Redactor.redactText($0) }
                records[index].statusMessage = records[index].statusMessage.map(Redactor.redact)
                records[index].attributesJSON = Redactor.redactText(records[index].attributesJSON)
            }
        }
    }

    /// Content events under the policy: none kept for `none`, redacted for `redact`.
    public static func apply(_ policy: ContentPolicy, to events: inout [GenAIContentEvent]) {
        switch policy {
        case .full: return
        case .none: events.removeAll()
        case .redact:
            for index in events.indices { events[index].messagesJSON = Redactor.redactText(events[index].messagesJSON) }
        }
    }

    /// The attribute keys that hold prompt or completion text: every attribute a content source
    /// of `FieldSources` reads, and the tool arguments and results of the conventions.
    static let contentKeys: Set<String> = {
        var keys: Set<String> = [
            "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "tool_arguments", "tool_response", "final_result",
            "all_messages_events", "events", "prompt", "traceloop.entity.input", "traceloop.entity.output",
            "ai.toolCall.args", "ai.toolCall.result", "ai.response.object", "ai.response.toolCalls",
        ]
        for source in FieldSources.prompt + FieldSources.completion {
            switch source {
            case .messages(let key, let instructions):
                keys.insert(key)
                if let instructions { keys.insert(instructions) }
            case .eventMessages, .messageEvents, .choiceEvents, .indexedMessages:
                break
            case .textOrMessages(.attribute(let key)):
                keys.insert(key)
            case .textOrMessages:
                break
            case .conversation(let key, let instructions, _):
                keys.insert(key)
                if let instructions { keys.insert(instructions) }
            }
        }
        return keys
    }()

    static let contentPrefixes: [String] = (FieldSources.prompt + FieldSources.completion).compactMap { source in
        if case .indexedMessages(let prefix) = source { return prefix }
        return nil
    }

    static func isContent(_ key: String) -> Bool {
        contentKeys.contains(key) || contentPrefixes.contains { key.hasPrefix($0) }
    }

    private static func withoutContent(_ attributesJSON: String) -> String {
        guard case .object(let members)? = JSONValue.parse(attributesJSON, maxDepth: 256) else { return attributesJSON }
        return JSONValue.object(JSONMembers(keepingFirst: members.filter { !isContent($0.key) })).serialized
    }
}
