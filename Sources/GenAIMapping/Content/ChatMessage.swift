import OTLPCodec

/// One message in the canonical form of the current GenAI conventions
/// (gen-ai-input-messages.json / gen-ai-output-messages.json, semconv v1.37+): every dialect's
/// message list is stored in this one shape.
struct ChatMessage: Equatable {
    var role: String
    var parts: [MessagePart]
    var name: String?
    /// Output messages only.
    var finishReason: String?

    /// `[{"role": …, "parts": [{"type": "text", "content": …}], "finish_reason": …}]`
    static func serialize(_ messages: [ChatMessage]) -> String {
        var out = "["
        for (offset, message) in messages.enumerated() {
            if offset > 0 { out.append(",") }
            out.append("{\"role\":")
            AttributeJSON.writeString(message.role, into: &out)
            out.append(",\"parts\":[")
            for (index, part) in message.parts.enumerated() {
                if index > 0 { out.append(",") }
                part.write(into: &out)
            }
            out.append("]")
            if let name = message.name {
                out.append(",\"name\":")
                AttributeJSON.writeString(name, into: &out)
            }
            if let finishReason = message.finishReason {
                out.append(",\"finish_reason\":")
                AttributeJSON.writeString(finishReason, into: &out)
            }
            out.append("}")
        }
        out.append("]")
        return out
    }
}

/// A part of a message; kinds we do not model are passed through as they came.
enum MessagePart: Equatable {
    case text(String)
    case toolCall(id: String?, name: String, arguments: JSONValue?)
    case toolCallResponse(id: String?, response: JSONValue)
    case other(JSONValue)

    func write(into out: inout String) {
        switch self {
        case .text(let content):
            out.append("{\"type\":\"text\",\"content\":")
            AttributeJSON.writeString(content, into: &out)
            out.append("}")
        case .toolCall(let id, let name, let arguments):
            out.append("{\"type\":\"tool_call\"")
            if let id {
                out.append(",\"id\":")
                AttributeJSON.writeString(id, into: &out)
            }
            out.append(",\"name\":")
            AttributeJSON.writeString(name, into: &out)
            if let arguments {
                out.append(",\"arguments\":")
                arguments.write(into: &out)
            }
            out.append("}")
        case .toolCallResponse(let id, let response):
            out.append("{\"type\":\"tool_call_response\"")
            if let id {
                out.append(",\"id\":")
                AttributeJSON.writeString(id, into: &out)
            }
            out.append(",\"response\":")
            response.write(into: &out)
            out.append("}")
        case .other(let value):
            value.write(into: &out)
        }
    }
}
