import Foundation
import LLMLog
import OTLPCodec

/// Renders OTLP attribute values as JSON: strings, booleans and numbers as themselves, integers
/// as JSON integers (never through a Double), arrays as arrays, key-value lists as objects,
/// bytes as base64 and an empty value as null.
public enum AttributeJSON {
    /// `{"key": value, ...}`, keys sorted as in every JSON text Ingate writes; a repeated key keeps
    /// its first value (OTLP keys must be unique).
    public static func object(_ attributes: [KeyValue]) -> String {
        var out = JSONWriter(capacity: attributes.count * 48)
        writeObject(attributes, into: &out)
        return out.text
    }

    public static func value(_ value: AnyValue) -> String {
        var out = JSONWriter()
        write(value, into: &out)
        return out.text
    }

    static func writeObject(_ attributes: [KeyValue], into out: inout JSONWriter) {
        out.raw("{")
        var seen = Set<String>()
        var first = true
        let unique = attributes.filter { seen.insert($0.key).inserted }
        for attribute in unique.sorted(by: { $0.key < $1.key }) {
            if !first { out.raw(",") }
            first = false
            out.string(attribute.key)
            out.raw(":")
            write(attribute.value, into: &out)
        }
        out.raw("}")
    }

    static func write(_ value: AnyValue, into out: inout JSONWriter) {
        switch value.value {
        case .stringValue(let text)?:
            out.string(text)
        case .boolValue(let flag)?:
            out.raw(flag ? "true" : "false")
        case .intValue(let number)?:
            out.raw(String(number))
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
