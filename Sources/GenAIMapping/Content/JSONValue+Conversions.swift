import LLMLog
import OTLPCodec

extension JSONValue {
    /// An array or object in a content attribute's text, nested no deeper than request bodies.
    static func parse(_ text: String) -> JSONValue? {
        parse(text, maxDepth: DecodingLimits().maxNestingDepth)
    }

    /// An OTLP attribute value as JSON: key-value lists become objects, bytes base64 strings.
    init(_ value: AnyValue) {
        switch value.value {
        case .stringValue(let text)?: self = .string(text)
        case .boolValue(let flag)?: self = .bool(flag)
        case .intValue(let number)?: self = .number(String(number))
        case .doubleValue(let number)?: self = .double(number)
        case .arrayValue(let array)?: self = .array(array.values.map(JSONValue.init))
        case .kvlistValue(let list)?:
            self = .object(JSONMembers(keepingFirst: list.values.map { ($0.key, JSONValue($0.value)) }))
        case .bytesValue(let bytes)?: self = .string(bytes.base64EncodedString())
        case .stringValueStrindex?, nil: self = .null
        }
    }

    /// A string attribute holding JSON is read as that JSON; anything else as its structure.
    static func content(_ value: AnyValue) -> JSONValue {
        if case .stringValue(let text)? = value.value, let parsed = parse(text) { return parsed }
        return JSONValue(value)
    }
}
