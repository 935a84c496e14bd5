import LLMLog

extension CanonicalMessageList {
    /// The list when its text is already the writer's (members in the order role, parts, name,
    /// finish_reason; a part's type before its content; no escapes but the writer's short ones in
    /// content, none elsewhere), whitespace between tokens aside: copied without that whitespace
    /// in one pass over the bytes, which costs a fraction of reading it token by token. Nil for
    /// any other text, which `read` then reads token by token; where this answers, the two agree
    /// (`CanonicalMessageListTests`, `make fuzz`).
    static func scanned(_ text: String) -> Content? {
        var contiguous = text
        return contiguous.withUTF8 { bytes in
            var outline: [Content.Outline]?
            // Written straight into the new string's storage: the copy is never longer than the text.
            let canonical = String(unsafeUninitializedCapacity: bytes.count) { out in
                var scanner = WrittenFormScanner(bytes: bytes, out: out)
                outline = scanner.list()
                return outline == nil ? 0 : scanner.written
            }
            return outline.map { Content(canonical: canonical, outline: $0, source: text) }
        }
    }
}

/// Walks a message list in the writer's form, copying every token to `out`.
private struct WrittenFormScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    let out: UnsafeMutableBufferPointer<UInt8>
    var written = 0

    init(bytes: UnsafeBufferPointer<UInt8>, out: UnsafeMutableBufferPointer<UInt8>) {
        self.bytes = bytes
        self.out = out
    }

    /// Copies the text's bytes in `range` to `out`, which has room: nothing is copied twice.
    private mutating func copy(_ range: Range<Int>) {
        (out.baseAddress! + written).update(from: bytes.baseAddress! + range.lowerBound, count: range.count)
        written += range.count
    }

    /// `[message, …]`, at least one, and nothing after it but whitespace.
    mutating func list() -> [Content.Outline]? {
        guard take("[") else { return nil }
        var outline: [Content.Outline] = []
        outline.reserveCapacity(4)
        repeat {
            guard let message = message() else { return nil }
            outline.append(message)
        } while take(",")
        guard take("]") else { return nil }
        skipWhitespace()
        return index == bytes.count ? outline : nil
    }

    /// `{"role": …, "parts": [...], "name": …, "finish_reason": …}`, the last two optional.
    private mutating func message() -> Content.Outline? {
        guard take(#"{"role":"#), let role = plainString(), role != "model", take(#","parts":["#), parts() else { return nil }
        var named = false
        var finishReason: String?
        while true {
            if !named, finishReason == nil, take(#","name":"#) {
                guard plainString() != nil else { return nil }
                named = true
            } else if finishReason == nil, take(#","finish_reason":"#) {
                guard let reason = plainString() else { return nil }
                finishReason = reason
            } else {
                break
            }
        }
        return take("}") ? Content.Outline(role: role, finishReason: finishReason) : nil
    }

    /// The parts after `[`: `{"type": "text", "content": …}, …]`, possibly none.
    private mutating func parts() -> Bool {
        if take("]") { return true }
        repeat {
            guard take(#"{"type":"text","content":"#), string(escapes: true) != nil, take("}") else { return false }
        } while take(",")
        return take("]")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The tokens of `literal` (punctuation and member names, as the writer writes them), each
    /// after any whitespace, copied as the literal spells them; nothing taken unless all match.
    /// One call per run of fixed tokens: a call per token cost more than matching them.
    private mutating func take(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        var at = index
        var inName = false
        var offset = 0
        // The literal holds no whitespace, so a byte is compared first and looked at as
        // whitespace only when it differs: one comparison per byte of the common case.
        while offset < count {
            guard at < bytes.count else { return false }
            let byte = bytes[at]
            if byte == expected[offset] {
                if byte == UInt8(ascii: "\"") { inName.toggle() }
                offset += 1
            } else if inName || !Self.isWhitespace(byte) {
                return false
            }
            at += 1
        }
        (out.baseAddress! + written).update(from: expected, count: count)
        written += count
        index = at
        return true
    }

    /// A string without escapes, copied; its text.
    private mutating func plainString() -> String? {
        guard let range = string(escapes: false) else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// A string at the next token, valid UTF-8 and with no escapes but the writer's short forms
    /// (none unless `escapes`), copied whole; the range of its text between the quotes.
    private mutating func string(escapes: Bool) -> Range<Int>? {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        var scan = index + 1
        while true {
            let end = JSONEscaping.next(in: bytes, from: scan)
            // Runs end at ASCII bytes, so each is valid UTF-8 on its own or not at all.
            guard end < bytes.count, UTF8Text.isValid(UnsafeBufferPointer(rebasing: bytes[scan..<end])) else { return nil }
            switch bytes[end] {
            case UInt8(ascii: "\""):
                let text = index + 1..<end
                copy(index..<end + 1)
                index = end + 1
                return text
            case UInt8(ascii: "\\") where escapes && end + 1 < bytes.count:
                switch bytes[end + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"),
                     UInt8(ascii: "b"), UInt8(ascii: "f"):
                    scan = end + 2
                default:
                    return nil
                }
            default:
                return nil
            }
        }
    }
}
