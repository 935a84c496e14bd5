import LLMLog
import OTLPCodec

/// Message lists that already have the canonical shape, text parts only (what current
/// instrumentations put in `gen_ai.input.messages` and `gen_ai.output.messages`), read straight
/// from their JSON text into `Content`. Building the JSON tree, normalising it and writing it
/// again took a third of mapping a span. Anything else (other keys, other parts, a repeated key,
/// role `model`, an empty list) gives nil, and the caller takes the general path, which gives
/// the same `Content` for every text this one reads (`CanonicalMessageListTests`).
enum CanonicalMessageList {
    static func read(_ text: String) -> Content? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = JSONParser(reading: bytes)
            return read(&reader)
        }
    }

    /// A string as it was read: `verbatim` ones are copied into the output without escaping.
    private struct Text {
        var value: String
        var verbatim: Bool

        init?(_ read: (text: String, verbatim: Bool)?) {
            guard let read else { return nil }
            (value, verbatim) = read
        }

        func write(into out: inout JSONWriter) {
            if verbatim { out.verbatimString(value) } else { out.string(value) }
        }
    }

    private struct Message {
        var role: Text
        var parts: [Text]
        var name: Text?
        var finishReason: Text?
    }

    private static func read(_ reader: inout JSONParser) -> Content? {
        var messages: [Message] = []
        let read = reader.readArray { reader in
            guard let message = message(&reader) else { return false }
            messages.append(message)
            return true
        }
        guard read, !messages.isEmpty, reader.isAtEnd() else { return nil }

        var out = JSONWriter(capacity: 1024)
        out.raw("[")
        for (offset, message) in messages.enumerated() {
            if offset > 0 { out.raw(",") }
            out.raw("{\"role\":")
            message.role.write(into: &out)
            out.raw(",\"parts\":[")
            for (index, part) in message.parts.enumerated() {
                out.raw(index > 0 ? ",{\"type\":\"text\",\"content\":" : "{\"type\":\"text\",\"content\":")
                part.write(into: &out)
                out.raw("}")
            }
            out.raw("]")
            if let name = message.name {
                out.raw(",\"name\":")
                name.write(into: &out)
            }
            if let finishReason = message.finishReason {
                out.raw(",\"finish_reason\":")
                finishReason.write(into: &out)
            }
            out.raw("}")
        }
        out.raw("]")
        let chat = messages.map { message in
            ChatMessage(role: message.role.value, parts: message.parts.map { .text($0.value) },
                        name: message.name?.value, finishReason: message.finishReason?.value)
        }
        return Content(text: out.text, messages: chat)
    }

    /// `{"role": …, "parts": [...], "name": …, "finish_reason": …}`, members in any order, each
    /// at most once, role required.
    private static func message(_ reader: inout JSONParser) -> Message? {
        var role: Text?
        var parts: [Text]?
        var name: Text?
        var finishReason: Text?
        let read = reader.readObject { reader, key in
            switch key {
            case "role" where role == nil:
                role = Text(reader.readString())
                return role != nil && role?.value != "model"
            case "parts" where parts == nil:
                parts = textParts(&reader)
                return parts != nil
            case "name" where name == nil:
                name = Text(reader.readString())
                return name != nil
            case "finish_reason" where finishReason == nil:
                finishReason = Text(reader.readString())
                return finishReason != nil
            default:
                return false
            }
        }
        guard read, let role, let parts else { return nil }
        return Message(role: role, parts: parts, name: name, finishReason: finishReason)
    }

    /// `[{"type": "text", "content": …}, ...]`, possibly empty.
    private static func textParts(_ reader: inout JSONParser) -> [Text]? {
        var parts: [Text] = []
        let read = reader.readArray { reader in
            var typed = false
            var content: Text?
            let read = reader.readObject { reader, key in
                switch key {
                case "type" where !typed:
                    typed = true
                    return reader.readString()?.text == "text"
                case "content" where content == nil:
                    content = Text(reader.readString())
                    return content != nil
                default:
                    return false
                }
            }
            guard read, typed, let content else { return false }
            parts.append(content)
            return true
        }
        return read ? parts : nil
    }
}

extension SpanMapper {
    /// For the fuzzer (`make fuzz`): whether the canonical reader, where it answers for `text`,
    /// gives what the general path gives.
    @_spi(Fuzzing) public static func canonicalReadAgrees(_ text: String) -> Bool {
        guard let direct = CanonicalMessageList.read(text) else { return true }
        var value = AnyValue()
        value.stringValue = text
        guard let messages = MessageNormalizer.messages(from: JSONValue.content(value), defaultRole: "user"), !messages.isEmpty
        else { return false }
        let general = Content(messages: messages)
        return direct.text == general.text && direct.messages == general.messages
    }
}
