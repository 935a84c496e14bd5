import LLMLog
import OTLPCodec

/// Message lists that already have the canonical shape, text parts only (what current
/// instrumentations put in `gen_ai.input.messages` and `gen_ai.output.messages`), read straight
/// from their JSON text into `ChatMessage`s, written once by `ChatMessage.serialize`. Building the
/// JSON tree and normalising it took a quarter of mapping a span. Anything else (other keys, other parts, a repeated key,
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

    private struct Message {
        var role: String
        var parts: [String]
        var name: String?
        var finishReason: String?
    }

    private static func read(_ reader: inout JSONParser) -> Content? {
        var messages: [Message] = []
        let read = reader.readArray { reader in
            guard let message = message(&reader) else { return false }
            messages.append(message)
            return true
        }
        guard read, !messages.isEmpty, reader.isAtEnd() else { return nil }

        return Content(messages: messages.map { message in
            ChatMessage(role: message.role, parts: message.parts.map { .text($0) }, name: message.name, finishReason: message.finishReason)
        })
    }

    /// `{"role": …, "parts": [...], "name": …, "finish_reason": …}`, members in any order, each
    /// at most once, role required.
    private static func message(_ reader: inout JSONParser) -> Message? {
        var role: String?
        var parts: [String]?
        var name: String?
        var finishReason: String?
        let read = reader.readObject { reader, key in
            switch key {
            case "role" where role == nil:
                role = reader.readString()
                return role != nil && role != "model"
            case "parts" where parts == nil:
                parts = textParts(&reader)
                return parts != nil
            case "name" where name == nil:
                name = reader.readString()
                return name != nil
            case "finish_reason" where finishReason == nil:
                finishReason = reader.readString()
                return finishReason != nil
            default:
                return false
            }
        }
        guard read, let role, let parts else { return nil }
        return Message(role: role, parts: parts, name: name, finishReason: finishReason)
    }

    /// `[{"type": "text", "content": …}, ...]`, possibly empty.
    private static func textParts(_ reader: inout JSONParser) -> [String]? {
        var parts: [String] = []
        let read = reader.readArray { reader in
            var typed = false
            var content: String?
            let read = reader.readObject { reader, key in
                switch key {
                case "type" where !typed:
                    typed = true
                    return reader.readString() == "text"
                case "content" where content == nil:
                    content = reader.readString()
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
