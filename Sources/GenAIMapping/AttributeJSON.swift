import Foundation
import LLMLog
import OTLPCodec

/// Renders OTLP attribute values as JSON: strings, booleans and numbers as themselves, integers
/// as JSON integers (never through a Double), arrays as arrays, key-value lists as objects,
/// bytes as base64 and an empty value as null.
public enum AttributeJSON {
    /// `{"key": value, ...}`, keys in `JSONKeyOrder` as in every JSON text Ingate writes; a repeated key keeps
    /// its first value (OTLP keys must be unique). An attribute of `contentKeys` whose string value
    /// is one of `stored` (the prompt and completion as their columns hold them), exactly or as
    /// the same JSON text with other whitespace between tokens, is left out: the row has it already.
    /// Another attribute that happens to hold the same text stays. `sources` are texts already
    /// known to be one of `stored` but for whitespace (`Content.source`), left out without
    /// comparing them again.
    public static func object(_ attributes: [KeyValue], leavingOut stored: [String] = [], sources: [String] = [],
                              contentKeys: Set<String> = []) -> String {
        object(attributes, leavingOut: stored, sources: sources, members: Members(attributes.map(\.key), contentKeys: contentKeys))
    }

    /// `object`, with the members its keys give already worked out (`AttributeKeys`).
    static func object(_ attributes: [KeyValue], leavingOut stored: [String] = [], sources: [String] = [],
                       members: Members) -> String {
        var out = JSONWriter(capacity: attributes.count * 48)
        writeObject(attributes, leavingOut: Stored(texts: stored, sources: sources), members: members, into: &out)
        return out.text
    }

    /// The members of an object with these keys, in the order written: each key's position, its
    /// name as written (`"key":`), and whether it is one of `contentKeys`; of a repeated key only
    /// the first.
    struct Members {
        let members: [(index: Int, name: [UInt8], isContent: Bool)]

        init(_ keys: [String], contentKeys: Set<String> = []) {
            var members: [(index: Int, name: [UInt8], isContent: Bool)] = []
            members.reserveCapacity(keys.count)
            var previous: Int?
            for index in JSONKeyOrder.sortedIndices(keys) {
                if let previous, keys[previous].utf8.count == keys[index].utf8.count, JSONKeyOrder.compare(keys[previous], keys[index]) == 0 {
                    continue
                }
                previous = index
                var name = JSONWriter(capacity: keys[index].utf8.count + 3)
                name.string(keys[index])
                name.byte(UInt8(ascii: ":"))
                members.append((index, name.bytes, contentKeys.contains(keys[index])))
            }
            self.members = members
        }
    }

    /// The column texts an attribute may repeat, and the attribute texts known to repeat one.
    struct Stored {
        let texts: [String]
        let sources: [String]
        /// No attribute shorter than every column text can repeat one (whitespace only adds).
        private let shortest: Int

        init(texts: [String] = [], sources: [String] = []) {
            self.texts = texts
            self.sources = sources
            shortest = texts.lazy.map(\.utf8.count).min() ?? .max
        }

        func contains(_ value: AnyValue) -> Bool {
            guard case .stringValue(let text)? = value.value else { return false }
            let count = text.utf8.count
            guard count >= shortest else { return false }
            // A source is the very string the attribute holds, so `==` finds the same storage at once.
            for source in sources where source.utf8.count == count && source == text { return true }
            for stored in texts where sameJSONText(text, stored) { return true }
            return false
        }
    }

    public static func value(_ value: AnyValue) -> String {
        var out = JSONWriter()
        write(value, into: &out)
        return out.text
    }

    static func writeObject(_ attributes: [KeyValue], leavingOut stored: Stored = Stored(), members: Members? = nil,
                            into out: inout JSONWriter) {
        out.byte(UInt8(ascii: "{"))
        var first = true
        for member in (members ?? Members(attributes.map(\.key))).members {
            // Read once: the generated `value` accessor hands out a copy each time.
            let value = attributes[member.index].value
            if member.isContent, stored.contains(value) { continue }
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            out.raw(member.name)
            write(value, into: &out)
        }
        out.byte(UInt8(ascii: "}"))
    }

    /// Whether `sent` is `stored` exactly, or the same JSON text with whitespace between its
    /// tokens (as Python's `json.dumps` writes it): nothing of the value is lost by leaving it out.
    static func sameJSONText(_ sent: String, _ stored: String) -> Bool {
        guard sent.utf8.count >= stored.utf8.count else { return false }
        var sent = sent
        var stored = stored
        return sent.withUTF8 { sent in
            stored.withUTF8 { stored in
                if sent.count == stored.count { return sent.elementsEqual(stored) }
                guard let first = stored.first, first == UInt8(ascii: "[") || first == UInt8(ascii: "{") else { return false }
                return sameTokens(sent, stored)
            }
        }
    }

    /// Walks both texts: whitespace in `sent` between tokens is skipped; a string is compared in
    /// runs up to its next quote, backslash or control byte (found eight bytes at a time).
    private static func sameTokens(_ sent: UnsafeBufferPointer<UInt8>, _ stored: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let sentBase = sent.baseAddress, let storedBase = stored.baseAddress else { return false }
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var i = 0
        var j = 0
        while i < sent.count {
            let byte = sent[i]
            if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                i += 1
                continue
            }
            guard j < stored.count, stored[j] == byte else { return false }
            i += 1
            j += 1
            guard byte == quote else { continue }
            while true {
                let end = JSONEscaping.next(in: sent, from: i)
                let run = end - i
                guard j + run <= stored.count, memcmp(sentBase + i, storedBase + j, run) == 0 else { return false }
                i = end
                j += run
                guard i < sent.count, j < stored.count, sent[i] == stored[j] else { return false }
                let special = sent[i]
                i += 1
                j += 1
                if special == quote { break }
                if special == backslash {
                    guard i < sent.count, j < stored.count, sent[i] == stored[j] else { return false }
                    i += 1
                    j += 1
                }
            }
        }
        return j == stored.count
    }

    static func write(_ value: AnyValue, into out: inout JSONWriter) {
        switch value.value {
        case .stringValue(let text)?:
            out.string(text)
        case .boolValue(let flag)?:
            out.raw(flag ? "true" : "false")
        case .intValue(let number)?:
            out.integer(number)
        case .doubleValue(let number)?:
            out.double(number)
        case .arrayValue(let array)?:
            out.raw("[")
            for (offset, element) in array.values.enumerated() {
                if offset > 0 { out.raw(",") }
                write(element, into: &out)
            }
            out.raw("]")
        case .kvlistValue(let list)?:
            writeObject(list.values, into: &out)
        case .bytesValue(let bytes)?:
            out.string(bytes.base64EncodedString())
        case .stringValueStrindex?, nil:
            out.raw("null")
        }
    }
}
