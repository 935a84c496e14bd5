import OTLPCodec

extension JSONValue {
    /// Parses JSON text; nil when the text is not JSON. Content attributes are limited to the same
    /// nesting depth as request bodies.
    static func parse(_ text: String) -> JSONValue? {
        let first = text.utf8.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        // Only arrays and objects: "42" or "\"hi\"" in a prompt attribute are text, not JSON.
        guard first == UInt8(ascii: "[") || first == UInt8(ascii: "{") else { return nil }
        return try? JSONParser.parse(Array(text.utf8), maxDepth: DecodingLimits().maxNestingDepth)
    }

    /// An OTLP attribute value as JSON: key-value lists become objects, bytes base64 strings.
    init(_ value: AnyValue) {
        switch value.value {
        case .stringValue(let text)?: self = .string(text)
        case .boolValue(let flag)?: self = .bool(flag)
        case .intValue(let number)?: self = .number(String(number))
        case .doubleValue(let number)?: self = number.isFinite ? .number("\(number)") : .string("\(number)")
        case .arrayValue(let array)?: self = .array(array.values.map(JSONValue.init))
        case .kvlistValue(let list)?:
            var members: [String: JSONValue] = [:]
            for pair in list.values where members[pair.key] == nil { members[pair.key] = JSONValue(pair.value) }
            self = .object(members)
        case .bytesValue(let bytes)?: self = .string(bytes.base64EncodedString())
        case .stringValueStrindex?, nil: self = .null
        }
    }

    /// A string attribute holding JSON is read as that JSON; anything else as its structure.
    static func content(_ value: AnyValue) -> JSONValue {
        if case .stringValue(let text)? = value.value, let parsed = parse(text) { return parsed }
        return JSONValue(value)
    }

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// Compact JSON with object keys sorted, so equal values always render the same.
    var serialized: String {
        var out = JSONOutput()
        write(into: &out)
        return out.text
    }

    func write(into out: inout JSONOutput) {
        switch self {
        case .null: out.raw("null")
        case .bool(let flag): out.raw(flag ? "true" : "false")
        case .number(let text): out.raw(text)
        case .string(let text): out.string(text)
        case .array(let values):
            out.raw("[")
            for (offset, value) in values.enumerated() {
                if offset > 0 { out.raw(",") }
                value.write(into: &out)
            }
            out.raw("]")
        case .object(let members):
            out.raw("{")
            for (offset, key) in members.keys.sorted().enumerated() {
                if offset > 0 { out.raw(",") }
                out.string(key)
                out.raw(":")
                members[key]!.write(into: &out)
            }
            out.raw("}")
        }
    }
}
