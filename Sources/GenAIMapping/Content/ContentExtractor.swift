import LLMLog
import OTLPCodec

/// Prompt or completion content as found on a span: the text to store, and the canonical
/// messages when the content was a message list.
struct Content {
    /// A message's role and finish reason: what mapping needs of a list besides its text.
    struct Outline: Equatable {
        var role: String
        var finishReason: String?
    }

    var text: String
    /// One per message, when the content is a message list.
    private(set) var outline: [Outline]?
    private var built: [ChatMessage]?

    init(messages: [ChatMessage]) {
        self.text = ChatMessage.serialize(messages)
        self.outline = messages.map { Outline(role: $0.role, finishReason: $0.finishReason) }
        self.built = messages
    }

    init(text: String) {
        self.text = text
    }

    /// The attribute text this content was read from, when `text` is that text with only the
    /// whitespace between its tokens taken out: that attribute holds nothing the row lacks.
    private(set) var source: String?

    /// A list `CanonicalMessageList` wrote, its messages built only when asked for.
    init(canonical text: String, outline: [Outline], source: String?) {
        self.text = text
        self.outline = outline
        self.source = source
    }

    var messages: [ChatMessage]? {
        built ?? outline.flatMap { _ in CanonicalMessageList.messages(text) }
    }

    var hasSystemMessage: Bool {
        outline?.contains { $0.role == "system" } ?? false
    }
}

/// Reads prompt and completion content from a span through the sources of `FieldSources`.
enum ContentExtractor {
    static func first(_ sources: [ContentSource], in span: SpanAttributes, defaultRole: String) -> Content? {
        for source in sources {
            if let content = read(source, in: span, defaultRole: defaultRole) { return content }
        }
        return nil
    }

    static func read(_ source: ContentSource, in span: SpanAttributes, defaultRole: String) -> Content? {
        switch source {
        case .messages(let key, let instructions):
            guard let value = span[key] else { return nil }
            return messageList(value, systemInstructions: instructions.flatMap { span[$0] }, defaultRole: defaultRole)

        case .eventMessages(let eventName, let key, let instructions):
            for event in span.span.events where event.name == eventName {
                guard let value = event.attributes.first(where: { $0.key == key })?.value, value.value != nil else { continue }
                let system = instructions.flatMap { name in event.attributes.first { $0.key == name }?.value }
                return messageList(value, systemInstructions: system, defaultRole: defaultRole)
            }
            return nil

        case .textOrMessages(let valueSource):
            guard let value = span.value(valueSource) else { return nil }
            return textOrMessages(value, defaultRole: defaultRole)

        case .messageEvents(let roles):
            let messages = span.span.events.compactMap { event -> ChatMessage? in
                guard let role = roles[event.name] else { return nil }
                return MessageNormalizer.message(from: eventBody(event), defaultRole: role)
            }
            return messages.isEmpty ? nil : Content(messages: messages)

        case .choiceEvents(let name):
            let choices = span.span.events.filter { $0.name == name }.map(eventBody)
            guard !choices.isEmpty else { return nil }
            let ordered = choices.enumerated().sorted { lhs, rhs in
                let left = lhs.element["index"].flatMap(indexValue) ?? lhs.offset
                let right = rhs.element["index"].flatMap(indexValue) ?? rhs.offset
                return (left, lhs.offset) < (right, rhs.offset)
            }
            let messages = ordered.compactMap { MessageNormalizer.choice(from: $0.element) }
            return messages.isEmpty ? nil : Content(messages: messages)

        case .conversation(let key, let instructions, let side):
            guard let value = span[key],
                  let messages = MessageNormalizer.messages(from: JSONValue.content(value), defaultRole: defaultRole),
                  !messages.isEmpty else { return nil }
            let replyStart = messages.lastIndex { $0.role != "assistant" }.map { $0 + 1 } ?? 0
            switch side {
            case .output:
                return replyStart < messages.count ? Content(messages: Array(messages[replyStart...])) : nil
            case .input:
                var asked = Array(messages[..<replyStart])
                if let instructions, let system = span[instructions], !asked.contains(where: { $0.role == "system" }) {
                    let parts = MessageNormalizer.contentParts(JSONValue.content(system))
                    if !parts.isEmpty { asked.insert(ChatMessage(role: "system", parts: parts), at: 0) }
                }
                return asked.isEmpty ? nil : Content(messages: asked)
            }

        case .indexedMessages(let prefix):
            let flattened = span.attributes(under: prefix)
            guard !flattened.isEmpty, let list = IndexedAttributes.unflatten(flattened),
                  let messages = MessageNormalizer.messages(from: list, defaultRole: defaultRole), !messages.isEmpty
            else { return nil }
            return Content(messages: messages)
        }
    }

    private static func messageList(_ value: AnyValue, systemInstructions: AnyValue?, defaultRole: String) -> Content {
        var canonical: Content?
        if case .stringValue(let text)? = value.value { canonical = CanonicalMessageList.read(text) }
        if let canonical, systemInstructions == nil || canonical.hasSystemMessage {
            return canonical
        }
        guard var messages = canonical?.messages ?? MessageNormalizer.messages(from: JSONValue.content(value), defaultRole: defaultRole) else {
            return Content(text: value.textValue ?? "")
        }
        if let systemInstructions, !messages.contains(where: { $0.role == "system" }) {
            let parts = MessageNormalizer.contentParts(JSONValue.content(systemInstructions))
            if !parts.isEmpty { messages.insert(ChatMessage(role: "system", parts: parts), at: 0) }
        }
        return Content(messages: messages)
    }

    private static func textOrMessages(_ value: AnyValue, defaultRole: String) -> Content? {
        if case .stringValue(let text)? = value.value {
            if let canonical = CanonicalMessageList.read(text) { return canonical }
            if let parsed = JSONValue.parse(text),
               let messages = MessageNormalizer.messages(from: parsed, defaultRole: defaultRole), !messages.isEmpty {
                return Content(messages: messages)
            }
            return Content(text: text)
        }
        if let messages = MessageNormalizer.messages(from: JSONValue(value), defaultRole: defaultRole), !messages.isEmpty {
            return Content(messages: messages)
        }
        return value.textValue.map { Content(text: $0) }
    }

    /// An event's fields: from `gen_ai.event.content` (a JSON body some SDKs use), else its
    /// attributes as one object.
    private static func eventBody(_ event: SpanEvent) -> JSONValue {
        if let body = event.attributes.first(where: { $0.key == "gen_ai.event.content" })?.value,
           case .stringValue(let text)? = body.value, let parsed = JSONValue.parse(text) {
            return parsed
        }
        var members = JSONMembers(keepingFirst: event.attributes.map { ($0.key, JSONValue.content($0.value)) })
        // A plain-string content must stay a string even if it looks like JSON.
        if let content = event.attributes.first(where: { $0.key == "content" })?.value, case .stringValue(let text)? = content.value {
            members["content"] = .string(text)
        }
        return .object(members)
    }

    private static func indexValue(_ value: JSONValue) -> Int? {
        switch value {
        case .number(let text), .string(let text): Int(text)
        default: nil
        }
    }
}

/// Rebuilds a message list from flattened attributes: `0.role`, `0.content`,
/// `0.tool_calls.1.function.name`, and OpenInference's `0.message.contents.0.message_content.text`
/// (its wrapper segments `message`, `message_content`, `tool_call` are dropped).
enum IndexedAttributes {
    private static let wrapperSegments: Set<Substring> = ["message", "message_content", "tool_call"]
    /// `build` recurses once per path segment; real message keys have fewer than ten, and a key
    /// of thousands of segments must not exhaust a worker's stack. Deeper keys stay in `attributes`.
    static let maxSegments = 32

    static func unflatten(_ entries: [(key: Substring, value: AnyValue)]) -> JSONValue? {
        // Count dots before splitting, so a hostile key costs no array of 100 000 substrings.
        guard entries.allSatisfy({ $0.key.utf8.lazy.filter { $0 == UInt8(ascii: ".") }.count < maxSegments }) else { return nil }
        let paths = entries.map { entry in
            (path: entry.key.split(separator: ".").filter { !wrapperSegments.contains($0) },
             value: leaf(entry.value))
        }
        guard paths.allSatisfy({ !$0.path.isEmpty && Int($0.path[0]) != nil }) else { return nil }
        return build(paths[...].map { ($0.path[...], $0.value) })
    }

    private static func leaf(_ value: AnyValue) -> JSONValue {
        if case .stringValue(let text)? = value.value { return .string(text) }
        return JSONValue(value)
    }

    private static func build(_ entries: [(path: ArraySlice<Substring>, value: JSONValue)]) -> JSONValue {
        if let only = entries.first, only.path.isEmpty { return only.value }
        var groups: [Substring: [(path: ArraySlice<Substring>, value: JSONValue)]] = [:]
        var order: [Substring] = []
        for entry in entries where !entry.path.isEmpty {
            let head = entry.path.first!
            if groups[head] == nil { order.append(head) }
            groups[head, default: []].append((entry.path.dropFirst(), entry.value))
        }
        if order.allSatisfy({ Int($0) != nil }) {
            return .array(order.sorted { Int($0)! < Int($1)! }.map { build(groups[$0]!) })
        }
        var members = JSONMembers(keepingLast: order.map { (String($0), build(groups[$0]!)) })
        // OpenInference names the part list `contents`; the normalizer reads `content`.
        if members["content"] == nil, let contents = members.removeValue(forKey: "contents") { members["content"] = contents }
        return .object(members)
    }
}
