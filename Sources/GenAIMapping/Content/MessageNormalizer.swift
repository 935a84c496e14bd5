import LLMLog
import OTLPCodec

/// Turns message lists of every dialect (current semconv parts, OpenAI chat messages and choices,
/// v1.28 event bodies, Vercel AI SDK content parts) into `ChatMessage`s.
enum MessageNormalizer {
    /// The messages a value holds, or nil when it does not look like messages at all.
    static func messages(from value: JSONValue, defaultRole: String) -> [ChatMessage]? {
        switch value {
        case .array(let elements):
            guard !elements.isEmpty else { return [] }
            var messages: [ChatMessage] = []
            for element in elements {
                if case .string(let text) = element {
                    messages.append(ChatMessage(role: defaultRole, parts: [.text(text)]))
                } else if let message = message(from: element, defaultRole: defaultRole) {
                    messages.append(message)
                } else {
                    return nil
                }
            }
            return messages
        case .object:
            // A whole OpenAI request (`input.value`), response (`output.value`) or Vercel `ai.prompt`.
            if let choices = value["choices"]?.array {
                return choices.compactMap { choice(from: $0) }
            }
            if value["messages"] != nil || value["prompt"] != nil || value["system"] != nil {
                var messages: [ChatMessage] = []
                if let system = value["system"]?.string {
                    messages.append(ChatMessage(role: "system", parts: [.text(system)]))
                }
                if let list = value["messages"], let parsed = Self.messages(from: list, defaultRole: defaultRole) {
                    messages += parsed
                }
                if let prompt = value["prompt"] {
                    if case .string(let text) = prompt {
                        messages.append(ChatMessage(role: "user", parts: [.text(text)]))
                    } else if let parsed = Self.messages(from: prompt, defaultRole: "user") {
                        messages += parsed
                    }
                }
                return messages.isEmpty ? nil : messages
            }
            return message(from: value, defaultRole: defaultRole).map { [$0] }
        default:
            return nil
        }
    }

    /// One message object; nil when it has neither a role nor any content.
    static func message(from value: JSONValue, defaultRole: String) -> ChatMessage? {
        guard value.isObject else { return nil }
        if value["message"]?.isObject == true || value["index"] != nil && value["finish_reason"] != nil {
            return choice(from: value)
        }
        let role = value["role"]?.string ?? defaultRole
        var parts: [MessagePart] = []
        if let list = value["parts"]?.array {
            parts = list.map(part)
        } else if let content = value["content"] {
            parts = contentParts(content)
        }
        if let calls = (value["tool_calls"] ?? value["toolCalls"])?.array {
            parts += calls.compactMap(toolCall)
        }
        if role == "tool", let id = (value["tool_call_id"] ?? value["id"])?.string {
            // A tool result: the content answers the call with this id.
            let response: JSONValue = if parts.count == 1, case .text(let text) = parts[0] { .string(text) } else {
                value["content"] ?? .null
            }
            parts = [.toolCallResponse(id: id, response: response)]
        }
        guard value["role"] != nil || !parts.isEmpty else { return nil }
        return ChatMessage(role: role, parts: parts, name: value["name"]?.string,
                           finishReason: (value["finish_reason"] ?? value["finishReason"])?.string)
    }

    /// An OpenAI choice or a `gen_ai.choice` event body: `{index, finish_reason, message, tool_calls}`.
    static func choice(from value: JSONValue) -> ChatMessage? {
        var message = value["message"].flatMap { self.message(from: $0, defaultRole: "assistant") }
            ?? ChatMessage(role: "assistant", parts: [])
        if let calls = value["tool_calls"]?.array, message.parts.allSatisfy({ if case .toolCall = $0 { false } else { true } }) {
            message.parts += calls.compactMap(toolCall)
        }
        message.finishReason = value["finish_reason"]?.string ?? message.finishReason
        return message
    }

    static func contentParts(_ content: JSONValue) -> [MessagePart] {
        switch content {
        case .string(let text): return [.text(text)]
        case .array(let elements): return elements.map { element in
            if case .string(let text) = element { return .text(text) }
            return part(element)
        }
        case .null: return []
        default: return [.other(content)]
        }
    }

    /// A content part of any dialect.
    static func part(_ value: JSONValue) -> MessagePart {
        switch value["type"]?.string {
        case "text"?:
            if let text = (value["content"] ?? value["text"])?.string { return .text(text) }
        case "tool_call"?, "tool-call"?, "function"?:
            if let call = toolCall(value) { return call }
        case "tool_call_response"?, "tool-result"?:
            let id = (value["id"] ?? value["toolCallId"])?.string
            if let response = value["response"] ?? value["result"] ?? value["output"] {
                return .toolCallResponse(id: id, response: response)
            }
        default:
            break
        }
        return .other(value)
    }

    /// `{id, type: "function", function: {name, arguments}}` (OpenAI), `{id, name, arguments}`
    /// (current semconv) or `{toolCallId, toolName, args|input}` (Vercel).
    static func toolCall(_ value: JSONValue) -> MessagePart? {
        let function = value["function"]
        guard let name = (function?["name"] ?? value["name"] ?? value["toolName"])?.string else { return nil }
        let id = (value["id"] ?? value["toolCallId"])?.string
        var arguments = function?["arguments"] ?? value["arguments"] ?? value["args"] ?? value["input"]
        // OpenAI sends arguments as a JSON string; store the structure it holds.
        if let text = arguments?.string, let parsed = JSONValue.parse(text) { arguments = parsed }
        return .toolCall(id: id, name: name, arguments: arguments)
    }
}
