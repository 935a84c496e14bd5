import LLMLog
import OTLPCodec

/// Message lists that already have the canonical shape, text parts only (what current
/// instrumentations put in `gen_ai.input.messages` and `gen_ai.output.messages`), read straight
/// from their JSON text: building the JSON tree and normalising it took a quarter of mapping a
/// span. Anything else (other keys, other parts, a repeated key, role `model`, an empty list)
/// gives nil, and the caller takes the general path, which gives the same `Content` for every
/// text this one reads (`CanonicalMessageListTests`).
enum CanonicalMessageList {
    /// The list written as `ChatMessage.serialize` writes it, token by token as it is read: the
    /// parts' text is copied, not decoded into strings and escaped again, and the messages are
    /// built only if asked for (`Content.messages`). When the list was already written so, but
    /// for whitespace between tokens (as `json.dumps` writes it), `text` is kept as the content's
    /// `source`: the attribute holding it can then be left out of `attributes` without comparing
    /// the two texts again.
    static func read(_ text: String) -> Content? {
        scanned(text) ?? tokenRead(text)
    }

    /// `read`, token by token: any member order, any escapes.
    static func tokenRead(_ text: String) -> Content? {
        var contiguous = text
        return contiguous.withUTF8 { bytes in
            var reader = JSONParser(reading: bytes)
            var out = JSONWriter(capacity: bytes.count)
            var parts = JSONWriter(capacity: 1024)
            var outline: [Content.Outline] = []
            // Set where the list is not as the writer writes it, whitespace apart.
            var rewritten = false
            out.raw("[")
            let read = reader.readArray { reader in
                if !outline.isEmpty { out.raw(",") }
                guard let message = message(&reader, into: &out, scratch: &parts, rewritten: &rewritten) else { return false }
                outline.append(message)
                return true
            }
            guard read, !outline.isEmpty, reader.isAtEnd() else { return nil }
            out.raw("]")
            return Content(canonical: out.text, outline: outline, source: rewritten ? nil : text)
        }
    }

    /// The messages of a text `read` wrote, built by the general path, which reads them alike.
    static func messages(_ text: String) -> [ChatMessage]? {
        var value = AnyValue()
        value.stringValue = text
        return MessageNormalizer.messages(from: JSONValue.content(value), defaultRole: "user")
    }

    /// `{"role": …, "parts": [...], "name": …, "finish_reason": …}`, members in any order, each
    /// at most once, role required; written in that order, the parts first to `scratch`.
    /// `rewritten` is set unless the members came in that order, unescaped but for the parts'
    /// text as the writer escapes it.
    private static func message(_ reader: inout JSONParser, into out: inout JSONWriter, scratch parts: inout JSONWriter,
                                rewritten: inout Bool) -> Content.Outline? {
        var role: String?
        var hasParts = false
        var name: String?
        var finishReason: String?
        var lastPlace = -1
        parts.removeAll()
        let read = reader.readObject { reader, key in
            let place: Int
            switch key {
            case "role" where role == nil:
                place = 0
                role = reader.readString(escaped: &rewritten)
                guard role != nil, role != "model" else { return false }
            case "parts" where !hasParts:
                place = 1
                hasParts = true
                guard textParts(&reader, into: &parts, rewritten: &rewritten) else { return false }
            case "name" where name == nil:
                place = 2
                name = reader.readString(escaped: &rewritten)
                guard name != nil else { return false }
            case "finish_reason" where finishReason == nil:
                place = 3
                finishReason = reader.readString(escaped: &rewritten)
                guard finishReason != nil else { return false }
            default:
                return false
            }
            if place < lastPlace || key.isEscaped { rewritten = true }
            lastPlace = place
            return true
        }
        guard read, let role, hasParts else { return nil }
        out.raw("{\"role\":")
        out.string(role)
        out.raw(",\"parts\":[")
        out.raw(parts)
        out.raw("]")
        if let name {
            out.raw(",\"name\":")
            out.string(name)
        }
        if let finishReason {
            out.raw(",\"finish_reason\":")
            out.string(finishReason)
        }
        out.raw("}")
        return Content.Outline(role: role, finishReason: finishReason)
    }

    /// `[{"type": "text", "content": …}, ...]`, possibly empty, written as `MessagePart.text`
    /// writes it: a part's two members are its only ones, so its text can be written where it
    /// goes before the type is read (a wrong one fails the whole list). `rewritten` is set
    /// unless each part is written so already.
    private static func textParts(_ reader: inout JSONParser, into out: inout JSONWriter, rewritten: inout Bool) -> Bool {
        var first = true
        return reader.readArray { reader in
            if !first { out.raw(",") }
            first = false
            out.raw("{\"type\":\"text\",\"content\":")
            var typed = false
            var content = false
            let read = reader.readObject { reader, key in
                if key.isEscaped { rewritten = true }
                switch key {
                case "type" where !typed:
                    typed = true
                    return reader.readString(escaped: &rewritten) == "text"
                case "content" where !content:
                    content = true
                    if !typed { rewritten = true }
                    return reader.readString(into: &out, rewritten: &rewritten)
                default:
                    return false
                }
            }
            out.raw("}")
            return read && typed && content
        }
    }
}

extension SpanMapper {
    /// For the fuzzer (`make fuzz`): whether the canonical reader, where it answers for `text`,
    /// gives what the general path gives, and names `text` its source only when the two texts
    /// differ in whitespace alone.
    @_spi(Fuzzing) public static func canonicalReadAgrees(_ text: String) -> Bool {
        if let scanned = CanonicalMessageList.scanned(text) {
            guard let read = CanonicalMessageList.tokenRead(text), scanned.text == read.text, scanned.outline == read.outline,
                  scanned.source == read.source else { return false }
        }
        guard let direct = CanonicalMessageList.read(text) else { return true }
        if direct.source != nil, !AttributeJSON.sameJSONText(text, direct.text) { return false }
        var value = AnyValue()
        value.stringValue = text
        guard let messages = MessageNormalizer.messages(from: JSONValue.content(value), defaultRole: "user"), !messages.isEmpty
        else { return false }
        let general = Content(messages: messages)
        return direct.text == general.text && direct.outline == general.outline && direct.messages == general.messages
    }
}
