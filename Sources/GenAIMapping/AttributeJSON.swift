import Foundation
import OTLPCodec

/// Renders OTLP attribute values as JSON: strings, booleans and numbers as themselves, integers
/// as JSON integers (never through a Double), arrays as arrays, key-value lists as objects,
/// bytes as base64 and an empty value as null.
public enum AttributeJSON {
    /// `{"key": value, ...}`; a repeated key keeps its first value (OTLP keys must be unique).
    public static func object(_ attributes: [KeyValue]) -> String {
        var out = ""
        out.reserveCapacity(attributes.count * 32)
        writeObject(attributes, into: &out)
        return out
    }

    public static func value(_ value: AnyValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    static func writeObject(_ attributes: [KeyValue], into out: inout String) {
        out.append("{")
        var seen = Set<String>()
        var first = true
        for attribute in attributes where seen.insert(attribute.key).inserted {
            if !first { out.append(",") }
            first = false
            writeString(attribute.key, into: &out)
            out.append(":")
            write(attribute.value, into: &out)
        }
        out.append("}")
    }

    static func write(_ value: AnyValue, into out: inout String) {
        switch value.value {
        case .stringValue(let text)?:
            writeString(text, into: &out)
        case .boolValue(let flag)?:
            out.append(flag ? "true" : "false")
        case .intValue(let number)?:
            out.append(String(number))
        case .doubleValue(let number)?:
            if number.isFinite {
                out.append("\(number)")
            } else {
                // JSON has no NaN or infinity; proto3 JSON writes them as strings.
                writeString(number.isNaN ? "NaN" : (number > 0 ? "Infinity" : "-Infinity"), into: &out)
            }
        case .arrayValue(let array)?:
            out.append("[")
            for (offset, element) in array.values.enumerated() {
                if offset > 0 { out.append(",") }
                write(element, into: &out)
            }
            out.append("]")
        case .kvlistValue(let list)?:
            writeObject(list.values, into: &out)
        case .bytesValue(let bytes)?:
            writeString(bytes.base64EncodedString(), into: &out)
        case .stringValueStrindex?, nil:
            out.append("null")
        }
    }

    static func writeString(_ text: String, into out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}
