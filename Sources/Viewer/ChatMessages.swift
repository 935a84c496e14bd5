import LLMLog

/// A prompt or completion as chat messages, read from the stored canonical form
/// (`[{"role", "parts": [{"type": "text", "content"}…], "finish_reason"}]`); anything else is one
/// message of plain text, shown as it is.
struct ChatMessage: Equatable {
    enum Part: Equatable {
        case text(String)
        case toolCall(id: String?, name: String?, arguments: String?)
        case toolResult(id: String?, result: String)
        case other(type: String, json: String)
    }

    var role: String
    var parts: [Part]
    var finishReason: String?

    static func messages(from stored: String?) -> [ChatMessage] {
        guard let stored, !stored.isEmpty else { return [] }
        guard let list = JSONValue.parse(stored, maxDepth: 64)?.array else {
            return [ChatMessage(role: "text", parts: [.text(stored)])]
        }
        return list.map { message in
            let parts = message["parts"]?.array?.map(part) ?? [.other(type: "message", json: message.serialized)]
            return ChatMessage(role: message["role"]?.string ?? "unknown", parts: parts,
                               finishReason: message["finish_reason"]?.string)
        }
    }

    private static func part(_ value: JSONValue) -> Part {
        switch value["type"]?.string {
        case "text", "reasoning", "thinking":
            return .text(value["content"]?.string ?? value["content"].map(\.serialized) ?? "")
        case "tool_call":
            return .toolCall(id: value["id"]?.string, name: value["name"]?.string, arguments: value["arguments"].map(display))
        case "tool_call_response":
            return .toolResult(id: value["id"]?.string, result: value["response"].map(display) ?? value["result"].map(display) ?? "")
        case let type:
            return .other(type: type ?? "part", json: value.serialized)
        }
    }

    /// A string as its text, anything else as JSON.
    private static func display(_ value: JSONValue) -> String {
        value.string ?? value.serialized
    }

    func html() -> String {
        var out = "<article class=\"message role-\(HTML.text(Self.cssName(role)))\"><h3>\(HTML.text(role))</h3>\n"
        for part in parts {
            switch part {
            case .text(let text):
                out += "<pre class=\"text\">\(HTML.text(text))</pre>\n"
            case .toolCall(let id, let name, let arguments):
                out += "<div class=\"tool-call\"><p>Tool call <code>\(HTML.text(name ?? "?"))</code>"
                out += id.map { " <small>id \(HTML.text($0))</small>" } ?? ""
                out += "</p><pre>\(HTML.text(arguments ?? ""))</pre></div>\n"
            case .toolResult(let id, let result):
                out += "<div class=\"tool-result\"><p>Tool result" + (id.map { " <small>id \(HTML.text($0))</small>" } ?? "")
                out += "</p><pre>\(HTML.text(result))</pre></div>\n"
            case .other(let type, let json):
                out += "<div class=\"part\"><p>\(HTML.text(type))</p><pre>\(HTML.text(json))</pre></div>\n"
            }
        }
        if let finishReason { out += "<p class=\"finish\">Finish reason: \(HTML.text(finishReason))</p>\n" }
        return out + "</article>\n"
    }

    /// A role as a class name: letters only, so that no role can break out of the attribute or
    /// pick another rule's class.
    static func cssName(_ role: String) -> String {
        let letters = role.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) }
        return letters.isEmpty ? "other" : String(String.UnicodeScalarView(letters.prefix(20)))
    }
}
