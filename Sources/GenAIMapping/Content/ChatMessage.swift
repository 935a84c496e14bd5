import LLMLog
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
        var out = JSONWriter(capacity: 1024)
        out.raw("[")
        for (offset, message) in messages.enumerated() {
            if offset > 0 { out.raw(",") }
            out.raw("{\"role\":")
            out.string(message.role)
            out.raw(",\"parts\":[")
            for (index, part) in message.parts.enumerated() {
                if index > 0 { out.raw(",") }
                part.write(into: &out)
            }
            out.raw("]")
            if let name = message.name {
                out.raw(",\"name\":")
                out.string(name)
            }
            if let finishReason = message.finishReason {
                out.raw(",\"finish_reason\":")
                out.string(finishReason)
            }
            out.raw("}")
        }
        out.raw("]")
        return out.text
    }
}

/// A part of a message; kinds we do not model are passed through as they came.
enum MessagePart: Equatable {
    case text(String)
    case toolCall(id: String?, name: String, arguments: JSONValue?)
    case toolCallResponse(id: String?, response: JSONValue)
    case other(JSONValue)

    func write(into out: inout JSONWriter) {
        switch self {
        case .text(let content):
            out.raw("{\"type\":\"text\",\"content\":")
            out.string(content)
            out.raw("}")
        case .toolCall(let id, let name, let arguments):
            out.raw("{\"type\":\"tool_call\"")
            if let id {
                out.raw(",\"id\":")
                out.string(id)
            }
            out.raw(",\"name\":")
            out.string(name)
            if let arguments {
                out.raw(",\"arguments\":")
                arguments.write(into: &out)
            }
            out.raw("}")
        case .toolCallResponse(let id, let response):
            out.raw("{\"type\":\"tool_call_response\"")
            if let id {
                out.raw(",\"id\":")
                out.string(id)
            }
            out.raw(",\"response\":")
            response.write(into: &out)
            out.raw("}")
        case .other(let value):
            value.write(into: &out)
        }
    }
}
