/// A parsed JSON document. Numbers keep their source text so that 64-bit integers (nanosecond
/// timestamps exceed 2^53) never pass through a Double.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONMembers)
}

extension JSONValue {
    /// A number as JSON has it; NaN and the infinities, which JSON lacks, as the strings proto3's
    /// JSON mapping writes (`"NaN"`, `"Infinity"`, `"-Infinity"`).
    public static func double(_ number: Double) -> JSONValue {
        number.isFinite ? .number("\(number)") : .string(JSONWriter.nonFiniteName(number))
    }

    /// Parses an array or object; nil for anything else ("42" or "\"hi\"" in a prompt
    /// attribute are text, not JSON) and for text that is not JSON.
    public static func parse(_ text: String, maxDepth: Int) -> JSONValue? {
        let first = text.utf8.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        guard first == UInt8(ascii: "[") || first == UInt8(ascii: "{") else { return nil }
        return try? JSONParser.parse(text, maxDepth: maxDepth)
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// Compact JSON with object keys sorted, as every JSON text Ingate writes: equal values
    /// always render the same.
    public var serialized: String {
        var out = JSONWriter()
        write(into: &out)
        return out.text
    }

    public func write(into out: inout JSONWriter) {
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
            for (offset, member) in members.sorted(by: { JSONKeyOrder.precedes($0.key, $1.key) }).enumerated() {
                if offset > 0 { out.raw(",") }
                out.string(member.key)
                out.raw(":")
                member.value.write(into: &out)
            }
            out.raw("}")
        }
    }
}
