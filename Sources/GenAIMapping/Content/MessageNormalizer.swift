import LLMLog
import OTLPCodec

/// Turns message lists of every dialect (current semconv parts, OpenAI chat messages and choices,
/// v1.28 event bodies, Vercel AI SDK content parts, LangChain's serialised messages and
/// generations, Gemini contents, Bedrock content blocks) into `ChatMessage`s.
enum MessageNormalizer {
    /// The messages a value holds, or nil when it does not look like messages at all.
    static func messages(from value: JSONValue, defaultRole: String) -> [ChatMessage]? {
        switch value {
        case .array(let elements):
            guard !elements.isEmpty else { return [] }
            // LangChain records a batch: one message list per prompt.
            if elements.allSatisfy({ $0.array != nil }) {
                var messages: [ChatMessage] = []
                for list in elements {
                    guard let parsed = Self.messages(from: list, defaultRole: defaultRole) else { return nil }
                    messages += parsed
                }
                return messages
            }
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
            // LangChain's LLMResult: `{"generations": [[{text, message, generation_info}]]}`.
            if let generations = value["generations"]?.array {
                return generations.flatMap { $0.array ?? [$0] }.compactMap(generation)
            }
            // Gemini (Google ADK): a request's `contents` with `config.system_instruction`, a
            // response's `content` or `candidates`.
            if let contents = value["contents"]?.array {
                var messages: [ChatMessage] = []
                let instruction = value["config"]?["system_instruction"] ?? value["system_instruction"]
                if let instruction, instruction != .null {
                    messages.append(ChatMessage(role: "system", parts: geminiParts(instruction)))
                }
                return messages + contents.compactMap { message(from: $0, defaultRole: defaultRole) }
            }
            if let candidates = value["candidates"]?.array {
                return candidates.compactMap(geminiCandidate)
            }
            if value["content"]?["parts"] != nil {
                return geminiCandidate(value).map { [$0] }
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
        // LangChain's serialised message: `{"lc": 1, "type": "constructor", "id": [.., "HumanMessage"], "kwargs": {..}}`.
        if value["lc"] != nil, let kwargs = value["kwargs"], kwargs.isObject {
            let className = value["id"]?.array?.last?.string ?? ""
            return message(from: kwargs, defaultRole: langChainRoles[className] ?? defaultRole)
        }
        if value["message"]?.isObject == true || value["index"] != nil && value["finish_reason"] != nil {
            return choice(from: value)
        }
        let named = value["role"]?.string ?? value["type"]?.string.flatMap { langChainRoles[$0] }
        let role = named.map { $0 == "model" ? "assistant" : $0 } ?? defaultRole
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
        guard named != nil || !parts.isEmpty else { return nil }
        return ChatMessage(role: role, parts: parts, name: value["name"]?.string,
                           finishReason: (value["finish_reason"] ?? value["finishReason"])?.string)
    }

    /// An OpenAI choice or a `gen_ai.choice` event body: `{index, finish_reason, message, tool_calls}`.
    static func choice(from value: JSONValue) -> ChatMessage? {
        var message: ChatMessage
        switch value["message"] {
        case let body? where body.isObject:
            message = self.message(from: body, defaultRole: "assistant") ?? ChatMessage(role: "assistant", parts: [])
        case let body?:
            // Strands puts the choice's content blocks (or text) straight in `message`.
            message = ChatMessage(role: "assistant", parts: contentParts(body))
        case nil:
            message = ChatMessage(role: "assistant", parts: [])
        }
        if let calls = value["tool_calls"]?.array, message.parts.allSatisfy({ if case .toolCall = $0 { false } else { true } }) {
            message.parts += calls.compactMap(toolCall)
        }
        message.finishReason = value["finish_reason"]?.string ?? message.finishReason
        return message
    }

    static func contentParts(_ content: JSONValue) -> [MessagePart] {
        switch content {
        case .string(let text):
            // Strands sends Bedrock content blocks as JSON text in an event's `content`.
            if text.hasPrefix("[{"), case .array(let blocks)? = JSONValue.parse(text), blocks.allSatisfy(isContentBlock) {
                return blocks.map(part)
            }
            return [.text(text)]
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
        if value["type"] == nil, let untyped = untypedPart(value) { return untyped }
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

    /// Parts that name their kind by their key (Gemini, Bedrock): `{text}`, `{function_call}`,
    /// `{functionResponse}`, `{toolUse}`, `{toolResult}`.
    private static func untypedPart(_ value: JSONValue) -> MessagePart? {
        if let text = value["text"]?.string {
            if value["thought"] == .bool(true) { return .other(.object(["type": .string("reasoning"), "content": .string(text)])) }
            return .text(text)
        }
        if let call = value["function_call"] ?? value["functionCall"], let name = call["name"]?.string {
            return .toolCall(id: call["id"]?.string, name: name, arguments: call["args"])
        }
        if let result = value["function_response"] ?? value["functionResponse"] {
            return .toolCallResponse(id: result["id"]?.string, response: result["response"] ?? .null)
        }
        if let use = value["toolUse"], let name = use["name"]?.string {
            return .toolCall(id: use["toolUseId"]?.string, name: name, arguments: use["input"])
        }
        if let result = value["toolResult"] {
            return .toolCallResponse(id: result["toolUseId"]?.string, response: result["content"] ?? .null)
        }
        if let reasoning = value["reasoningContent"]?["reasoningText"]?["text"]?.string {
            return .other(.object(["type": .string("reasoning"), "content": .string(reasoning)]))
        }
        return nil
    }

    /// The keys of a Bedrock Converse content block (Strands); a list of objects with only these
    /// keys is content, not text that happens to be JSON.
    private static let contentBlockKeys: Set<String> = [
        "text", "toolUse", "toolResult", "image", "document", "video", "reasoningContent", "cachePoint",
        "guardContent", "citationsContent",
    ]

    private static func isContentBlock(_ value: JSONValue) -> Bool {
        guard case .object(let members) = value, members.count == 1, let key = members.first?.key else { return false }
        return contentBlockKeys.contains(key)
    }

    /// LangChain's message classes and `type`s, as roles.
    static let langChainRoles: [String: String] = [
        "HumanMessage": "user", "AIMessage": "assistant", "SystemMessage": "system", "ToolMessage": "tool",
        "FunctionMessage": "tool", "ChatMessage": "user", "HumanMessageChunk": "user", "AIMessageChunk": "assistant",
        "human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "tool",
    ]

    /// One LangChain generation: its message, else its text; finish reason from `generation_info`.
    private static func generation(_ value: JSONValue) -> ChatMessage? {
        var message = value["message"].flatMap { self.message(from: $0, defaultRole: "assistant") }
        if message == nil, let text = value["text"]?.string { message = ChatMessage(role: "assistant", parts: [.text(text)]) }
        if let reason = value["generation_info"]?["finish_reason"]?.string { message?.finishReason = reason }
        return message
    }

    /// A Gemini response or candidate: `{content: {role: "model", parts}, finish_reason: "STOP"}`.
    private static func geminiCandidate(_ value: JSONValue) -> ChatMessage? {
        guard let content = value["content"], var message = message(from: content, defaultRole: "assistant") else { return nil }
        if let reason = (value["finish_reason"] ?? value["finishReason"])?.string { message.finishReason = reason.lowercased() }
        return message
    }

    /// A Gemini `system_instruction`: text, a content, or a list of parts.
    private static func geminiParts(_ value: JSONValue) -> [MessagePart] {
        if let parts = value["parts"]?.array { return parts.map(part) }
        return contentParts(value)
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
